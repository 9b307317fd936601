// CloudWatch Logs filter patterns, evaluated for real: JSON patterns (`{ $.a.b = "x*" && … }`)
// against a log event whose message is JSON text (a CloudTrail record), and plain-text term
// patterns (`ERROR "two words" -DEBUG ?WARN`). Used by PutMetricFilter, TestMetricFilter,
// FilterLogEvents and the metric-filter pipeline that turns delivered events into datapoints.
//
// Parsing reports AWS's messages ("Invalid metric filter pattern", "Invalid character(s) in
// term"); matching never throws, whatever the message is (malformed JSON simply does not match a
// JSON pattern). Behaviour choices are listed in docs/sandbox.md ("CloudWatch Logs and CloudWatch").

/** A path step: object property or array index. */
export type SelectorStep = { kind: 'prop'; name: string } | { kind: 'index'; index: number };

export interface Selector {
  /** The selector as written, e.g. `$.resources[0].ARN` (the extractedValues key). */
  text: string;
  steps: SelectorStep[];
}

export type JsonCondition =
  | { kind: 'and' | 'or'; left: JsonCondition; right: JsonCondition }
  | { kind: 'string'; selector: Selector; negate: boolean; value: string; quoted: boolean }
  | { kind: 'numeric'; selector: Selector; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: number; text: string }
  | { kind: 'regex'; selector: Selector; negate: boolean; regex: RegExp }
  | { kind: 'exists'; selector: Selector }
  | { kind: 'null' | 'notExists' | 'true' | 'false'; selector: Selector };

export interface TextTerm {
  text: string;
  /** `-term`: the message must not contain it. */
  exclude: boolean;
  /** `?term`: at least one optional term must appear (only when there are no required terms). */
  optional: boolean;
}

export type FilterPattern =
  | { kind: 'all'; source: string }
  | { kind: 'json'; source: string; condition: JsonCondition; selectors: Selector[] }
  | { kind: 'text'; source: string; terms: TextTerm[] };

export type ParseResult = { ok: true; pattern: FilterPattern } | { ok: false; message: string };

export const INVALID_PATTERN = 'Invalid metric filter pattern';
export const INVALID_TERM = 'Invalid character(s) in term';

class PatternSyntaxError extends Error {}

/** Characters allowed in an unquoted plain-text term (anything else must be quoted). */
const TEXT_TERM = /^[A-Za-z0-9_.:/@-]+$/;
/** Characters allowed in an unquoted JSON value (besides the `*` wildcard). */
const JSON_BARE_VALUE = /^[A-Za-z0-9_.:/@+\-*]+$/;
const IDENT = /[A-Za-z0-9_@-]/;

/** Parses a filter pattern. Never throws; a syntax error comes back as `{ok: false, message}`. */
export function parseFilterPattern(text: string): ParseResult {
  try {
    const source = String(text);
    const trimmed = source.trim();
    if (trimmed === '') return { ok: true, pattern: { kind: 'all', source } };
    if (trimmed.startsWith('{')) return { ok: true, pattern: parseJsonPattern(source, trimmed) };
    if (trimmed.startsWith('[')) {
      // CHOICE: space-delimited patterns are not emulated.
      return { ok: false, message: `${INVALID_PATTERN} (space-delimited patterns are not supported by the keywarden sandbox)` };
    }
    return { ok: true, pattern: { kind: 'text', source, terms: parseTerms(trimmed) } };
  } catch (error) {
    return { ok: false, message: error instanceof PatternSyntaxError ? error.message : INVALID_PATTERN };
  }
}

/** A double-quoted string starting at `start` (the opening quote), with backslash escapes. */
function readQuoted(text: string, start: number): { value: string; next: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const d = text[i]!;
    if (d === '\\' && i + 1 < text.length) {
      value += text[i + 1]!;
      i += 2;
    } else if (d === '"') {
      return { value, next: i + 1 };
    } else {
      value += d;
      i += 1;
    }
  }
  throw new PatternSyntaxError(INVALID_PATTERN);
}

/** Does the log event message match? Never throws. */
export function matchesFilter(pattern: FilterPattern, message: string): boolean {
  try {
    const text = typeof message === 'string' ? message : String(message);
    switch (pattern.kind) {
      case 'all':
        return true;
      case 'text':
        return matchTerms(pattern.terms, text);
      case 'json': {
        const parsed = parseMessage(text);
        return parsed.ok ? evaluate(pattern.condition, parsed.value) : false;
      }
    }
  } catch {
    return false;
  }
}

/**
 * TestMetricFilter's `extractedValues` for a matching message: for a JSON pattern, every selector
 * the pattern names that is present in the message, as text (`{"$.eventSource": "kms.amazonaws.com"}`);
 * empty for other patterns. Never throws.
 */
export function extractedValues(pattern: FilterPattern, message: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (pattern.kind !== 'json') return out;
  const parsed = parseMessage(message);
  if (!parsed.ok) return out;
  for (const selector of pattern.selectors) {
    const found = lookup(parsed.value, selector.steps);
    if (found.exists) out[selector.text] = scalarText(found.value);
  }
  return out;
}

/**
 * The value a selector such as `$.requestParameters.keyId` or `$.resources[0].ARN` picks from a JSON
 * message; `undefined` when the message is not JSON, the selector is malformed or the field is absent.
 */
export function selectValue(message: string, selector: string): unknown {
  try {
    const steps = parseSelectorText(selector);
    if (!steps) return undefined;
    const parsed = parseMessage(message);
    if (!parsed.ok) return undefined;
    const found = lookup(parsed.value, steps);
    return found.exists ? found.value : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON patterns

function parseJsonPattern(source: string, trimmed: string): FilterPattern {
  if (!trimmed.endsWith('}')) throw new PatternSyntaxError(INVALID_PATTERN);
  const parser = new JsonPatternParser(trimmed.slice(1, -1));
  const condition = parser.parse();
  return { kind: 'json', source, condition, selectors: parser.selectors };
}

type Token =
  | { t: 'lparen' | 'rparen' | 'and' | 'or' | 'end' }
  | { t: 'selector'; selector: Selector }
  | { t: 'op'; op: '=' | '!=' | '<' | '<=' | '>' | '>=' }
  | { t: 'word'; word: string } // IS, NULL, NOT, EXISTS, TRUE, FALSE
  | { t: 'string'; value: string }
  | { t: 'bare'; value: string }
  | { t: 'regex'; value: string };

class JsonPatternParser {
  private tokens: Token[];
  private at = 0;
  readonly selectors: Selector[] = [];

  constructor(body: string) {
    this.tokens = tokenize(body);
  }

  parse(): JsonCondition {
    if (this.peek().t === 'end') throw new PatternSyntaxError(INVALID_PATTERN);
    const condition = this.or();
    if (this.peek().t !== 'end') throw new PatternSyntaxError(INVALID_PATTERN);
    return condition;
  }

  private peek(): Token {
    return this.tokens[this.at] ?? { t: 'end' };
  }

  private next(): Token {
    const token = this.peek();
    this.at += 1;
    return token;
  }

  private or(): JsonCondition {
    let left = this.and();
    while (this.peek().t === 'or') {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): JsonCondition {
    let left = this.primary();
    while (this.peek().t === 'and') {
      this.next();
      left = { kind: 'and', left, right: this.primary() };
    }
    return left;
  }

  private primary(): JsonCondition {
    const token = this.next();
    if (token.t === 'lparen') {
      const inner = this.or();
      if (this.next().t !== 'rparen') throw new PatternSyntaxError(INVALID_PATTERN);
      return inner;
    }
    if (token.t !== 'selector') throw new PatternSyntaxError(INVALID_PATTERN);
    const selector = token.selector;
    if (!this.selectors.some((s) => s.text === selector.text)) this.selectors.push(selector);
    const op = this.next();
    if (op.t === 'word') return this.keywordTest(selector, op.word);
    if (op.t !== 'op') throw new PatternSyntaxError(INVALID_PATTERN);
    const value = this.next();
    switch (value.t) {
      case 'string':
        if (op.op !== '=' && op.op !== '!=') throw new PatternSyntaxError(INVALID_PATTERN);
        return { kind: 'string', selector, negate: op.op === '!=', value: value.value, quoted: true };
      case 'regex': {
        if (op.op !== '=' && op.op !== '!=') throw new PatternSyntaxError(INVALID_PATTERN);
        let regex: RegExp;
        try {
          regex = new RegExp(value.value);
        } catch {
          throw new PatternSyntaxError(INVALID_PATTERN);
        }
        return { kind: 'regex', selector, negate: op.op === '!=', regex };
      }
      case 'bare': {
        const numeric = parseNumber(value.value);
        if (numeric !== undefined) return { kind: 'numeric', selector, op: op.op, value: numeric, text: value.value };
        if (op.op !== '=' && op.op !== '!=') throw new PatternSyntaxError(INVALID_PATTERN);
        if (value.value === '*' && op.op === '=') return { kind: 'exists', selector };
        return { kind: 'string', selector, negate: op.op === '!=', value: value.value, quoted: false };
      }
      default:
        throw new PatternSyntaxError(INVALID_PATTERN);
    }
  }

  private keywordTest(selector: Selector, word: string): JsonCondition {
    const second = this.next();
    if (second.t !== 'word') throw new PatternSyntaxError(INVALID_PATTERN);
    const pair = `${word.toUpperCase()} ${second.word.toUpperCase()}`;
    switch (pair) {
      case 'IS NULL':
        return { kind: 'null', selector };
      case 'NOT EXISTS':
        return { kind: 'notExists', selector };
      case 'IS TRUE':
        return { kind: 'true', selector };
      case 'IS FALSE':
        return { kind: 'false', selector };
      default:
        throw new PatternSyntaxError(INVALID_PATTERN);
    }
  }
}

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = body.length;
  while (i < n) {
    const c = body[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '(') {
      tokens.push({ t: 'lparen' });
      i += 1;
    } else if (c === ')') {
      tokens.push({ t: 'rparen' });
      i += 1;
    } else if (body.startsWith('&&', i)) {
      tokens.push({ t: 'and' });
      i += 2;
    } else if (body.startsWith('||', i)) {
      tokens.push({ t: 'or' });
      i += 2;
    } else if (c === '$') {
      const start = i;
      i += 1;
      const steps: SelectorStep[] = [];
      while (i < n) {
        if (body[i] === '.') {
          i += 1;
          const nameStart = i;
          while (i < n && IDENT.test(body[i]!)) i += 1;
          if (i === nameStart) throw new PatternSyntaxError(INVALID_PATTERN);
          steps.push({ kind: 'prop', name: body.slice(nameStart, i) });
        } else if (body[i] === '[') {
          const close = body.indexOf(']', i);
          if (close < 0) throw new PatternSyntaxError(INVALID_PATTERN);
          const inner = body.slice(i + 1, close).trim();
          if (!/^\d{1,9}$/.test(inner)) throw new PatternSyntaxError(INVALID_PATTERN);
          steps.push({ kind: 'index', index: Number(inner) });
          i = close + 1;
        } else break;
      }
      if (steps.length === 0) throw new PatternSyntaxError(INVALID_PATTERN);
      tokens.push({ t: 'selector', selector: { text: body.slice(start, i), steps } });
    } else if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = body.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ t: 'op', op: two });
        i += 2;
      } else if (c === '!') {
        throw new PatternSyntaxError(INVALID_PATTERN);
      } else {
        tokens.push({ t: 'op', op: c as '=' | '<' | '>' });
        i += 1;
      }
    } else if (c === '"') {
      const quoted = readQuoted(body, i);
      i = quoted.next;
      tokens.push({ t: 'string', value: quoted.value });
    } else if (c === '%') {
      const close = body.indexOf('%', i + 1);
      if (close < 0 || close === i + 1) throw new PatternSyntaxError(INVALID_PATTERN);
      tokens.push({ t: 'regex', value: body.slice(i + 1, close) });
      i = close + 1;
    } else {
      const start = i;
      while (i < n && !/[\s()]/.test(body[i]!) && !body.startsWith('&&', i) && !body.startsWith('||', i)) i += 1;
      const word = body.slice(start, i);
      const previous = tokens[tokens.length - 1];
      if (/^(IS|NOT|NULL|EXISTS|TRUE|FALSE)$/i.test(word) && previous && (previous.t === 'selector' || previous.t === 'word')) {
        tokens.push({ t: 'word', word });
      } else {
        if (!JSON_BARE_VALUE.test(word)) throw new PatternSyntaxError(INVALID_TERM);
        tokens.push({ t: 'bare', value: word });
      }
    }
  }
  return tokens;
}

function parseNumber(text: string): number | undefined {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function parseSelectorText(selector: string): SelectorStep[] | undefined {
  try {
    const tokens = tokenize(selector.trim());
    const only = tokens[0];
    return tokens.length === 1 && only?.t === 'selector' ? only.selector.steps : undefined;
  } catch {
    return undefined;
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseMessage(message: string): Parsed {
  try {
    const text = typeof message === 'string' ? message.trim() : '';
    if (!text.startsWith('{') && !text.startsWith('[')) return { ok: false };
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function lookup(root: unknown, steps: SelectorStep[]): { exists: boolean; value: unknown } {
  let current: unknown = root;
  for (const step of steps) {
    if (step.kind === 'prop') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return { exists: false, value: undefined };
      if (!Object.hasOwn(current, step.name)) return { exists: false, value: undefined };
      current = (current as Record<string, unknown>)[step.name];
    } else {
      if (!Array.isArray(current) || step.index >= current.length) return { exists: false, value: undefined };
      current = current[step.index];
    }
  }
  return { exists: true, value: current };
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function evaluate(condition: JsonCondition, root: unknown): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, root) && evaluate(condition.right, root);
    case 'or':
      return evaluate(condition.left, root) || evaluate(condition.right, root);
    case 'exists':
      return lookup(root, condition.selector.steps).exists;
    case 'notExists':
      return !lookup(root, condition.selector.steps).exists;
    case 'null': {
      const found = lookup(root, condition.selector.steps);
      return found.exists && found.value === null;
    }
    case 'true':
    case 'false': {
      const found = lookup(root, condition.selector.steps);
      return found.exists && found.value === (condition.kind === 'true');
    }
    case 'string': {
      const found = lookup(root, condition.selector.steps);
      if (!found.exists || !isScalar(found.value)) return false;
      const matched = wildcardMatch(condition.value, String(found.value));
      return condition.negate ? !matched : matched;
    }
    case 'regex': {
      const found = lookup(root, condition.selector.steps);
      if (!found.exists || !isScalar(found.value)) return false;
      const matched = condition.regex.test(String(found.value));
      return condition.negate ? !matched : matched;
    }
    case 'numeric': {
      const found = lookup(root, condition.selector.steps);
      if (!found.exists) return false;
      let actual: number;
      if (typeof found.value === 'number') actual = found.value;
      else if (typeof found.value === 'string' && (condition.op === '=' || condition.op === '!=')) {
        // `$.eventVersion = 1.08` against the string "1.08": compare the text.
        return condition.op === '=' ? found.value === condition.text : found.value !== condition.text;
      } else return false;
      switch (condition.op) {
        case '=':
          return actual === condition.value;
        case '!=':
          return actual !== condition.value;
        case '<':
          return actual < condition.value;
        case '<=':
          return actual <= condition.value;
        case '>':
          return actual > condition.value;
        case '>=':
          return actual >= condition.value;
      }
    }
  }
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** `*` matches any run of characters (start, end or middle); everything else is literal and case-sensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first)) return false;
  let at = first.length;
  for (let k = 1; k < parts.length - 1; k += 1) {
    const part = parts[k]!;
    if (part === '') continue;
    const found = value.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return value.length - at >= last.length && value.endsWith(last);
}

// ---------------------------------------------------------------------------------------------
// Plain-text term patterns

function parseTerms(text: string): TextTerm[] {
  const terms: TextTerm[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    let exclude = false;
    let optional = false;
    if (c === '-' || c === '?') {
      exclude = c === '-';
      optional = c === '?';
      i += 1;
      if (i >= n || /\s/.test(text[i]!)) throw new PatternSyntaxError(INVALID_TERM);
    }
    if (text[i] === '"') {
      const quoted = readQuoted(text, i);
      const value = quoted.value;
      i = quoted.next;
      if (i < n && !/\s/.test(text[i]!)) throw new PatternSyntaxError(INVALID_TERM);
      terms.push({ text: value, exclude, optional });
    } else {
      const start = i;
      while (i < n && !/\s/.test(text[i]!)) i += 1;
      const word = text.slice(start, i);
      if (!TEXT_TERM.test(word)) throw new PatternSyntaxError(INVALID_TERM);
      terms.push({ text: word, exclude, optional });
    }
  }
  return terms;
}

function matchTerms(terms: TextTerm[], message: string): boolean {
  const required = terms.filter((t) => !t.exclude && !t.optional);
  const optional = terms.filter((t) => t.optional);
  for (const term of terms) if (term.exclude && message.includes(term.text)) return false;
  if (required.length > 0) return required.every((t) => message.includes(t.text));
  if (optional.length > 0) return optional.some((t) => message.includes(t.text));
  return true;
}
