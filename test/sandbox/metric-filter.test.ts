// The CloudWatch Logs filter-pattern evaluator: table tests against CloudTrail records, syntax
// errors, and a randomized check that matching never throws.

import { describe, expect, it } from 'vitest';
import { extractedValues, matchesFilter, parseFilterPattern, selectValue, wildcardMatch, type FilterPattern } from '../../src/sandbox/metric-filter.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_ARN = 'arn:aws:kms:us-east-1:111122223333:key/99999999-0000-0000-0000-000000000000';

function record(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventVersion: '1.08',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/App/i-0abc', accountId: '111122223333' },
    eventTime: '2026-11-23T10:05:00Z',
    eventSource: 'kms.amazonaws.com',
    eventName: 'Decrypt',
    awsRegion: 'us-east-1',
    sourceIPAddress: '10.0.0.1',
    requestParameters: { keyId: 'alias/app/payments-db', encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    responseElements: null,
    readOnly: true,
    resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY_ARN }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    requestCount: 3,
    latencyMs: 12.5,
    ...overrides,
  });
}

const pendingDecrypt = record({ errorCode: 'KMSInvalidStateException', errorMessage: `${KEY_ARN} is pending deletion.` });
const disabledDecrypt = record({ errorCode: 'DisabledException', errorMessage: `${KEY_ARN} is disabled.` });
const okDecrypt = record();
const otherKeyPending = record({
  errorCode: 'KMSInvalidStateException',
  errorMessage: `${OTHER_ARN} is pending deletion.`,
  resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: OTHER_ARN }],
});
const s3Event = record({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', errorMessage: 'x is pending deletion.' });

const DOC_PATTERN = '{ $.eventSource = kms* && $.errorMessage = "* is pending deletion."}';
const KEY_PATTERN = `{ ($.eventSource = "kms.amazonaws.com") && ($.resources[0].ARN = "${KEY_ARN}") && (($.errorCode = "DisabledException") || ($.errorMessage = "* is disabled.") || ($.errorMessage = "* is pending deletion.")) }`;

function parse(text: string): FilterPattern {
  const result = parseFilterPattern(text);
  if (!result.ok) throw new Error(`unexpected syntax error for ${text}: ${result.message}`);
  return result.pattern;
}

describe('the published KMS patterns', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['doc pattern', DOC_PATTERN, pendingDecrypt, true],
    ['doc pattern', DOC_PATTERN, otherKeyPending, true],
    ['doc pattern', DOC_PATTERN, disabledDecrypt, false],
    ['doc pattern', DOC_PATTERN, okDecrypt, false],
    ['doc pattern', DOC_PATTERN, s3Event, false],
    ['key pattern', KEY_PATTERN, pendingDecrypt, true],
    ['key pattern', KEY_PATTERN, disabledDecrypt, true],
    ['key pattern', KEY_PATTERN, record({ errorMessage: `${KEY_ARN} is disabled.` }), true],
    ['key pattern', KEY_PATTERN, record({ errorCode: 'DisabledException' }), true],
    ['key pattern', KEY_PATTERN, okDecrypt, false],
    ['key pattern', KEY_PATTERN, otherKeyPending, false],
    ['key pattern', KEY_PATTERN, record({ eventSource: 'kms.amazonaws.com.evil', errorCode: 'DisabledException' }), false],
    ['key pattern', KEY_PATTERN, record({ resources: [], errorCode: 'DisabledException' }), false],
    ['CIS pattern', '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}', record({ eventName: 'DisableKey' }), true],
    ['CIS pattern', '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}', record({ eventName: 'ScheduleKeyDeletion' }), true],
    ['CIS pattern', '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}', okDecrypt, false],
    ['narrowed doc pattern', `{ $.eventSource = kms* && $.errorMessage = "* is pending deletion." && $.resources[0].ARN = "${KEY_ARN}" }`, pendingDecrypt, true],
    ['narrowed doc pattern', `{ $.eventSource = kms* && $.errorMessage = "* is pending deletion." && $.resources[0].ARN = "${KEY_ARN}" }`, otherKeyPending, false],
  ];
  it.each(cases)('%s on message %#', (_name, pattern, message, expected) => {
    expect(matchesFilter(parse(pattern), message)).toBe(expected);
  });
});

describe('JSON pattern operators', () => {
  const cases: Array<[string, string, boolean]> = [
    // string equality, quoted and unquoted, with wildcards
    ['{ $.eventName = Decrypt }', okDecrypt, true],
    ['{ $.eventName = "Decrypt" }', okDecrypt, true],
    ['{ $.eventName = decrypt }', okDecrypt, false], // case-sensitive
    ['{ $.eventName = Dec* }', okDecrypt, true],
    ['{ $.eventName = *crypt }', okDecrypt, true],
    ['{ $.eventName = D*pt }', okDecrypt, true],
    ['{ $.eventName = D*x*pt }', okDecrypt, false],
    ['{ $.eventName = "*" }', okDecrypt, true],
    ['{ $.eventName != Encrypt }', okDecrypt, true],
    ['{ $.eventName != Decrypt }', okDecrypt, false],
    ['{ $.eventName != "De*" }', okDecrypt, false],
    ['{ $.errorCode != "X" }', okDecrypt, false], // an absent field matches no comparison
    // nested selectors and array indexes
    ['{ $.userIdentity.type = AssumedRole }', okDecrypt, true],
    ['{ $.userIdentity.arn = "arn:aws:sts::111122223333:assumed-role/App/*" }', okDecrypt, true],
    ['{ $.requestParameters.keyId = "alias/app/*" }', okDecrypt, true],
    [`{ $.resources[0].ARN = "${KEY_ARN}" }`, okDecrypt, true],
    ['{ $.resources[1].ARN = * }', okDecrypt, false],
    ['{ $.resources[0].type = "AWS::KMS::Key" }', okDecrypt, true],
    ['{ $.resources.ARN = * }', okDecrypt, false],
    // numbers
    ['{ $.requestCount = 3 }', okDecrypt, true],
    ['{ $.requestCount != 3 }', okDecrypt, false],
    ['{ $.requestCount > 2 }', okDecrypt, true],
    ['{ $.requestCount >= 3 }', okDecrypt, true],
    ['{ $.requestCount < 3 }', okDecrypt, false],
    ['{ $.requestCount <= 3.0 }', okDecrypt, true],
    ['{ $.latencyMs > 12.4 && $.latencyMs < 1.3e1 }', okDecrypt, true],
    ['{ $.eventName > 1 }', okDecrypt, false], // not a number
    ['{ $.eventVersion = 1.08 }', okDecrypt, true], // the string "1.08"
    ['{ $.missing > 0 }', okDecrypt, false],
    // null, exists, booleans
    ['{ $.responseElements IS NULL }', okDecrypt, true],
    ['{ $.requestParameters IS NULL }', okDecrypt, false],
    ['{ $.missing IS NULL }', okDecrypt, false],
    ['{ $.errorCode NOT EXISTS }', okDecrypt, true],
    ['{ $.errorCode NOT EXISTS }', disabledDecrypt, false],
    ['{ $.responseElements NOT EXISTS }', okDecrypt, false],
    ['{ $.errorCode = * }', disabledDecrypt, true],
    ['{ $.errorCode = * }', okDecrypt, false],
    ['{ $.readOnly IS TRUE }', okDecrypt, true],
    ['{ $.readOnly IS FALSE }', okDecrypt, false],
    ['{ $.managementEvent is true }', okDecrypt, true],
    ['{ $.eventName IS TRUE }', okDecrypt, false],
    // regex
    ['{ $.eventName = %^(De|En)crypt$% }', okDecrypt, true],
    ['{ $.eventName != %crypt% }', okDecrypt, false],
    // combinations and precedence (&& binds tighter than ||)
    ['{ $.eventName = Encrypt || $.eventName = Decrypt }', okDecrypt, true],
    ['{ $.eventName = Encrypt || $.eventName = Decrypt && $.errorCode = * }', okDecrypt, false],
    ['{ ($.eventName = Encrypt || $.eventName = Decrypt) && $.readOnly IS TRUE }', okDecrypt, true],
    ['{ (($.eventName = Encrypt)) || (($.awsRegion = "us-east-1")) }', okDecrypt, true],
    ['{$.eventName=Decrypt&&$.awsRegion=us-east-1}', okDecrypt, true],
    // non-JSON and odd messages never match a JSON pattern
    ['{ $.eventName = Decrypt }', 'Decrypt', false],
    ['{ $.eventName = Decrypt }', '{"eventName": "Decrypt"', false],
    ['{ $.eventName = Decrypt }', '', false],
    ['{ $.eventName = Decrypt }', '[1,2,3]', false],
    ['{ $[0] = 1 }', '[1,2,3]', true],
    ['{ $.a = 1 }', '  {"a": 1}  ', true],
  ];
  it.each(cases)('%s on message %#', (pattern, message, expected) => {
    expect(matchesFilter(parse(pattern), message)).toBe(expected);
  });
});

describe('plain-text term patterns', () => {
  const line = '2026-11-23 ERROR [payments] KMS Decrypt failed: key is pending deletion';
  const cases: Array<[string, string, boolean]> = [
    ['', line, true],
    ['   ', 'anything', true],
    ['ERROR', line, true],
    ['error', line, false],
    ['ERROR Decrypt', line, true],
    ['ERROR Encrypt', line, false],
    ['"pending deletion"', line, true],
    ['"deletion pending"', line, false],
    ['ERROR -payments', line, false], // exclusion is by substring: "[payments]" contains "payments"
    ['ERROR -WARN', line, true],
    ['ERROR -Decrypt', line, false],
    ['?WARN ?ERROR', line, true],
    ['?WARN ?INFO', line, false],
    ['ERROR ?WARN', line, true], // ?terms are ignored next to required terms
    ['-DEBUG', line, true],
    ['-ERROR', line, false],
    ['"[payments]"', line, true],
  ];
  it.each(cases)('%j on message %#', (pattern, message, expected) => {
    expect(matchesFilter(parse(pattern), message)).toBe(expected);
  });

  it('an empty pattern matches every event, JSON or not', () => {
    const all = parse('');
    expect(all.kind).toBe('all');
    for (const message of ['', 'x', okDecrypt, '{bad json']) expect(matchesFilter(all, message)).toBe(true);
  });
});

describe('syntax errors', () => {
  const cases: Array<[string, string]> = [
    ['{ }', 'Invalid metric filter pattern'],
    ['{ $.a = 1', 'Invalid metric filter pattern'],
    ['{ $.a }', 'Invalid metric filter pattern'],
    ['{ $. = 1 }', 'Invalid metric filter pattern'],
    ['{ $.a == 1 }', 'Invalid metric filter pattern'],
    ['{ $.a = "unterminated }', 'Invalid metric filter pattern'],
    ['{ ($.a = 1 }', 'Invalid metric filter pattern'],
    ['{ $.a = 1) }', 'Invalid metric filter pattern'],
    ['{ $.a = 1 && }', 'Invalid metric filter pattern'],
    ['{ $.a = 1 || || $.b = 2 }', 'Invalid metric filter pattern'],
    ['{ $.a > "x" }', 'Invalid metric filter pattern'],
    ['{ $.a < abc }', 'Invalid metric filter pattern'],
    ['{ $.a IS MAYBE }', 'Invalid metric filter pattern'],
    ['{ $.a[x] = 1 }', 'Invalid metric filter pattern'],
    ['{ $.a = %(% }', 'Invalid metric filter pattern'],
    ['{ $.a = 1 $.b = 2 }', 'Invalid metric filter pattern'],
    ['{ a = 1 }', 'Invalid metric filter pattern'],
    ['{ $.a = x"y }', 'Invalid character(s) in term'],
    ['ERROR (payments)', 'Invalid character(s) in term'],
    ['key=value', 'Invalid character(s) in term'],
    ['"unterminated', 'Invalid metric filter pattern'],
    ['- ERROR', 'Invalid character(s) in term'],
    ['[ip, user]', 'Invalid metric filter pattern'],
  ];
  it.each(cases)('%j → %s', (pattern, message) => {
    const result = parseFilterPattern(pattern);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.startsWith(message)).toBe(true);
  });
});

describe('value extraction', () => {
  it('extractedValues lists the selectors the pattern names that the message has', () => {
    expect(extractedValues(parse(DOC_PATTERN), pendingDecrypt)).toEqual({
      '$.eventSource': 'kms.amazonaws.com',
      '$.errorMessage': `${KEY_ARN} is pending deletion.`,
    });
    expect(extractedValues(parse(KEY_PATTERN), disabledDecrypt)).toEqual({
      '$.eventSource': 'kms.amazonaws.com',
      '$.resources[0].ARN': KEY_ARN,
      '$.errorCode': 'DisabledException',
      '$.errorMessage': `${KEY_ARN} is disabled.`,
    });
    expect(extractedValues(parse('ERROR'), 'ERROR')).toEqual({});
    expect(extractedValues(parse(DOC_PATTERN), 'not json')).toEqual({});
  });

  it('selectValue reads fields for metricValue "$.field"', () => {
    expect(selectValue(okDecrypt, '$.requestCount')).toBe(3);
    expect(selectValue(okDecrypt, '$.resources[0].ARN')).toBe(KEY_ARN);
    expect(selectValue(okDecrypt, '$.nope')).toBeUndefined();
    expect(selectValue('not json', '$.a')).toBeUndefined();
    expect(selectValue(okDecrypt, 'garbage')).toBeUndefined();
  });

  it('wildcardMatch handles start, end and middle', () => {
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('a*', 'a')).toBe(true);
    expect(wildcardMatch('*a*a*', 'aa')).toBe(true);
    expect(wildcardMatch('*a*a*', 'a')).toBe(false);
    expect(wildcardMatch('ab*ba', 'aba')).toBe(false);
    expect(wildcardMatch('ab*ba', 'abba')).toBe(true);
  });
});

describe('robustness (randomized)', () => {
  // Deterministic PRNG so a failure can be replayed.
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = '{}[]()$.*"\\%&|=!<>? -_aAzZ019:/,\n\t\u00e9\u{1F600}';
  const randomText = (max: number) => Array.from({ length: rand(max) }, () => alphabet[rand(alphabet.length)] ?? 'x').join('');
  const randomJson = (depth: number): unknown => {
    switch (rand(depth > 3 ? 5 : 7)) {
      case 0:
        return null;
      case 1:
        return rand(2) === 0;
      case 2:
        return rand(1000) - 500 + rand(100) / 7;
      case 3:
        return randomText(12);
      case 4:
        return 'kms.amazonaws.com';
      case 5:
        return Array.from({ length: rand(4) }, () => randomJson(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: rand(5) }, () => [['eventSource', 'errorMessage', 'a', 'resources', randomText(4)][rand(5)]!, randomJson(depth + 1)]));
    }
  };
  const fixedPatterns = [DOC_PATTERN, KEY_PATTERN, '', 'ERROR', '{ $.a IS NULL || $.resources[0].ARN NOT EXISTS }', '{ $.a > 1 }', '{ $.a = %x+% }'].map(parse);

  it('parseFilterPattern never throws on random input', () => {
    for (let i = 0; i < 3000; i += 1) {
      const text = randomText(40);
      expect(() => parseFilterPattern(text)).not.toThrow();
      const braced = `{ ${randomText(30)} }`;
      expect(() => parseFilterPattern(braced)).not.toThrow();
    }
  });

  it('matchesFilter and extractedValues never throw on random messages and patterns', () => {
    const patterns = [...fixedPatterns];
    for (let i = 0; i < 500; i += 1) {
      const parsed = parseFilterPattern(rand(2) ? `{ ${randomText(30)} }` : randomText(20));
      if (parsed.ok) patterns.push(parsed.pattern);
    }
    for (let i = 0; i < 3000; i += 1) {
      const message = rand(2) ? JSON.stringify(randomJson(0)) : randomText(60);
      const pattern = patterns[rand(patterns.length)]!;
      expect(typeof matchesFilter(pattern, message)).toBe('boolean');
      expect(() => extractedValues(pattern, message)).not.toThrow();
    }
    // Even non-string input at runtime is handled.
    expect(matchesFilter(fixedPatterns[0]!, undefined as unknown as string)).toBe(false);
    expect(matchesFilter(fixedPatterns[0]!, 42 as unknown as string)).toBe(false);
  });
});
