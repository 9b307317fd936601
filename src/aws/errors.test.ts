import { describe, expect, it } from 'vitest';
import { toDomainError } from './errors.js';

describe('toDomainError on file-system errors', () => {
  it('turns a Node system error into a sentence naming the path', () => {
    const error = Object.assign(new Error("EEXIST: file already exists, mkdir '/data/keywarden'"), { code: 'EEXIST', path: '/data/keywarden', syscall: 'mkdir' });
    const domain = toDomainError(error, 'writing the journal');
    expect(domain.message).toMatch(/^writing the journal: cannot mkdir \/data\/keywarden: a file is in the way where a directory is needed/);
    expect(domain.code).toBe('EEXIST');
  });

  it('leaves other errors to the AWS mapping', () => {
    expect(toDomainError(Object.assign(new Error('nope'), { name: 'NotFoundException' })).kind).toBe('not-found');
  });
});
