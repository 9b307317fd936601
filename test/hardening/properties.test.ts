// Property-based tests (fast-check): random and malformed input never crashes the parsers that
// read untrusted data — the key policy parser and its findings, the CloudTrail record parser and
// summary, the metric-filter pattern evaluator — and the cleaning/redaction boundaries hold.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, policyFindings } from '../../src/domain/findings.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { cleanText, redactSecrets } from '../../src/domain/sanitize.js';
import { parseCloudTrailRecord, summarizeUsage } from '../../src/domain/usage.js';
import { extractedValues, matchesFilter, parseFilterPattern, selectValue } from '../../src/sandbox/metric-filter.js';

const RUNS = { numRuns: 400 };
const NOW = new Date('2026-11-23T12:00:00Z');
const ACCOUNT = '111122223333';
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Strings rich in the characters that matter: controls, escapes, quotes, brackets, unicode. */
const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u001b', '[', ']', '\u0007', '\u009b', '\u009d', '\u009c', '\\', '\b', '\r', '\n', '\t', '\u202e', '\u2066', '\u0000', '\u007f', ';', '"', '{', '}', '*', '?', '$', '.', ':', '=', '!', '&', '|', ' ', '-', '%'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 60,
});
const anyString = fc.oneof(nasty, fc.string({ unit: 'binary' }), fc.string());
const arnish = fc.oneof(anyString, fc.constant(`arn:aws:iam::${ACCOUNT}:root`), fc.constant('*'), fc.constant({ AWS: '*' }), fc.constant('arn:aws:iam::999988887777:role/x'));

const statement = fc.record(
  {
    Sid: fc.oneof(anyString, fc.anything()),
    Effect: fc.oneof(fc.constantFrom('Allow', 'Deny', 'allow', ''), fc.anything()),
    Principal: fc.oneof(arnish, fc.record({ AWS: fc.oneof(arnish, fc.array(arnish)) }), fc.record({ Service: fc.oneof(anyString, fc.array(anyString)) }), fc.anything()),
    NotPrincipal: fc.anything(),
    Action: fc.oneof(fc.constantFrom('kms:*', '*', 'kms:Decrypt', 'kms:Create*', 'kms:PutKeyPolicy'), fc.array(anyString), fc.anything()),
    NotAction: fc.anything(),
    Resource: fc.oneof(fc.constant('*'), fc.anything()),
    Condition: fc.oneof(
      fc.dictionary(fc.constantFrom('StringEquals', 'ForAnyValue:StringLike', 'Bool', 'ArnLike', 'StringEqualsIfExists', 'Null', 'x'), fc.dictionary(fc.oneof(anyString, fc.constantFrom('kms:CallerAccount', 'kms:ViaService', 'aws:PrincipalArn')), fc.oneof(anyString, fc.array(anyString), fc.boolean()))),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);
const policyDoc = fc.oneof(
  fc.record({ Version: fc.oneof(fc.constant('2012-10-17'), fc.anything()), Statement: fc.oneof(fc.array(statement, { maxLength: 5 }), statement, fc.anything()) }, { requiredKeys: [] }),
  fc.anything(),
);

describe('the key policy parser and findings never crash', () => {
  it('on random documents, as objects and as (possibly truncated) JSON text', () => {
    fc.assert(
      fc.property(policyDoc, fc.nat(400), (doc, cut) => {
        const text = JSON.stringify(doc) ?? '';
        for (const input of [doc, text, text.slice(0, cut)]) {
          const parsed = parsePolicy(input);
          expect(typeof parsed.ok).toBe('boolean');
          expect(Array.isArray(policyFindings(input, ACCOUNT, DEFAULT_THRESHOLDS))).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

const userIdentity = fc.record(
  {
    type: fc.oneof(fc.constantFrom('AssumedRole', 'IAMUser', 'AWSService', 'Root', 'AWSAccount'), fc.anything()),
    arn: arnish,
    accountId: fc.oneof(fc.constant(ACCOUNT), fc.anything()),
    invokedBy: fc.oneof(anyString, fc.anything()),
    sessionContext: fc.anything(),
  },
  { requiredKeys: [] },
);
const cloudTrailRecord = fc.oneof(
  fc.record(
    {
      eventVersion: fc.oneof(fc.constant('1.08'), fc.anything()),
      eventTime: fc.oneof(fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'not a date' : d.toISOString())), anyString, fc.anything()),
      eventSource: fc.oneof(fc.constant('kms.amazonaws.com'), anyString),
      eventName: fc.oneof(fc.constantFrom('Decrypt', 'Encrypt', 'GenerateDataKey', 'DescribeKey', 'DisableKey'), anyString, fc.anything()),
      eventID: fc.oneof(fc.uuid(), fc.anything()),
      awsRegion: fc.oneof(fc.constant('us-east-1'), fc.anything()),
      userIdentity: fc.oneof(userIdentity, fc.anything()),
      requestParameters: fc.oneof(fc.record({ keyId: arnish, encryptionContext: fc.oneof(fc.dictionary(anyString, anyString), fc.anything()) }, { requiredKeys: [] }), fc.anything()),
      resources: fc.oneof(fc.array(fc.record({ ARN: arnish, type: fc.anything() }, { requiredKeys: [] })), fc.anything()),
      errorCode: fc.oneof(anyString, fc.anything()),
      errorMessage: fc.oneof(anyString, fc.anything()),
      sourceIPAddress: fc.oneof(anyString, fc.anything()),
      userAgent: fc.oneof(anyString, fc.anything()),
      CloudTrailEvent: fc.oneof(anyString, fc.anything()),
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

describe('the CloudTrail record parser and usage summary never crash', () => {
  it('on random records, LookupEvents-shaped wrappers and JSON text', () => {
    fc.assert(
      fc.property(fc.array(cloudTrailRecord, { maxLength: 8 }), fc.integer({ min: 1, max: 90 }), (records, days) => {
        const wrapped = records.map((r) => ({ CloudTrailEvent: JSON.stringify(r) ?? '', EventTime: NOW, EventName: 'Decrypt' }));
        for (const input of [...records, ...wrapped, ...records.map((r) => JSON.stringify(r))]) parseCloudTrailRecord(input);
        const summary = summarizeUsage([...records, ...wrapped], { days }, NOW, { keyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234` });
        expect(summary.total).toBeGreaterThanOrEqual(0);
      }),
      RUNS,
    );
  });
});

const patternText = fc.oneof(
  fc.string({ unit: fc.constantFrom('{', '}', '$', '.', '[', ']', '=', '!', '<', '>', '&', '|', '(', ')', '"', '*', '?', ' ', '-', 'a', 'b', '1', '%', ',', '\\', 'I', 'S', 'N', 'U', 'L', 'E', 'X', 'T', '_'), maxLength: 50 }),
  fc.constantFrom('{ $.errorCode = "*" }', '{ ($.a = 1) && ($.b[0].c != "x*") }', '[ip, user, ..., status = 4*]', '"quoted term" -minus', '{ $.x IS NULL }', '{ $.x NOT EXISTS }', '%regex[0-9]+%', '?a ?b', ''),
  fc.string(),
);
const message = fc.oneof(fc.json(), fc.string(), nasty, fc.constant('{"errorCode":"AccessDenied","a":1,"b":[{"c":"xyz"}]}'));

describe('the metric filter pattern evaluator never crashes', () => {
  it('parses any text to ok or a message, and evaluates what it parsed against any log event', () => {
    fc.assert(
      fc.property(patternText, fc.array(message, { maxLength: 5 }), fc.string({ maxLength: 20 }), (text, messages, selector) => {
        const parsed = parseFilterPattern(text);
        if (!parsed.ok) {
          expect(typeof parsed.message).toBe('string');
          return;
        }
        for (const m of messages) {
          expect(typeof matchesFilter(parsed.pattern, m)).toBe('boolean');
          expect(typeof extractedValues(parsed.pattern, m)).toBe('object');
          selectValue(m, `$.${selector}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the cleaning and redaction boundaries', () => {
  it('cleanText leaves no ESC, C0/C1 control or bidi control; one line stays one line; cleaning twice changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(nasty, fc.string({ unit: 'binary' })), fc.boolean(), (text, singleLine) => {
        const out = cleanText(text, { singleLine });
        expect(out).not.toMatch(ACTIVE);
        if (singleLine) expect(out).not.toContain('\n');
        expect(cleanText(out, { singleLine })).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('redactSecrets removes any secret access key or session token embedded in a message', () => {
    const base64 = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'), minLength: 40, maxLength: 40 }).filter((k) => /[A-Z]/.test(k) && /[a-z]/.test(k) && /[0-9]/.test(k));
    const token = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'), minLength: 120, maxLength: 400 });
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), base64, token, fc.string({ maxLength: 30 }), (before, secret, session, after) => {
        const text = `${before} secret ${secret} token ${session}. ${after}`;
        const out = redactSecrets(text);
        expect(out).not.toContain(secret);
        expect(out).not.toContain(session);
      }),
      RUNS,
    );
  });
});
