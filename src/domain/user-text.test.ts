// Text keywarden shows to people speaks of AWS and of keywarden, never of the project's own
// working files (a finding once told operators to read "KMS.md §11").

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../test/helpers/source-files.js';

describe('text shown to users', () => {
  it('names no internal design document outside comments', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles('src')) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const code = line.trim();
          if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
          const withoutTrailingComment = code.replace(/\s\/\/.*$/, '');
          if (/\b(KMS|DESIGN|STYLE)\.md\b/.test(withoutTrailingComment)) offenders.push(`${file}:${index + 1}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
