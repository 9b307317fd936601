// npm run bench [NAME...]: runs the benchmarks (all by default). Never part of npm test.
// The SDK notice about its own future Node requirement is noise in benchmark output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const all = ['startup', 'render', 'inventory', 'usage', 'retirement-requests', 'changes-requests', 'findings', 'cloudtrail-files'];
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : all) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}" (${all.join(', ')})`);
    process.exit(2);
  }
  const { run } = await import(`./${name}.mjs`);
  await run();
}
