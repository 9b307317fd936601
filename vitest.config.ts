import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    // dist/ is built (when out of date) before the tests: worker threads and end-to-end tests run it.
    globalSetup: ['test/helpers/build-once.ts'],
    environment: 'node',
    // The SDK's notice about its own future Node requirement, printed once per test file, is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests drive the built program in tmux; keep them from starving each other.
    maxWorkers: 2,
  },
});
