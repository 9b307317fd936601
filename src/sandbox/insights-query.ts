// The CloudWatch Logs Insights query language (Logs Insights QL), the subset keywarden sends:
// parsed into a pipeline and run over log events. Anything outside the subset is refused with
// MalformedQueryException, never approximated. Syntax sources (docs/sandbox.md, "Logs Insights"):
// CWL_QuerySyntax, CWL_QuerySyntax-Filter, CWL_QuerySyntax-Stats, CWL_QuerySyntax-Guidelines.
//
// Supported:
//   fields F [as A], …                 filter EXPR                      parse F /regex with (?<name>…)/
//   stats AGG [as A], … [by G [as A], …]   AGG: count(*) count(F) max(F) min(F) sum(F)   G: F | bin(N unit)
//   sort F [asc|desc], …               limit N                          # comments
// EXPR: F = != < <= > >= literal · F [not] like "text" | /regex/ · F =~ /regex/ · F [not] in [list]
//       ispresent(F) · not EXPR · EXPR and EXPR · EXPR or EXPR · ( EXPR )
// Field names: identifiers with dots (JSON paths: resources.0.ARN), @-fields, `back-ticked` parts.

export class QueryCompileError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

type TokenKind = 'ident' | 'string' | 'regex' | 'number' | 'punct' | 'op' | 'pipe' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the unquoted value; for regexes: the pattern; for idents: the field path. */
  value: string;
  start: number;
  end: number;
}

const COMMANDS = ['K_FIELDS', 'K_FILTER', 'K_PARSE', 'K_SORT', 'K_STATS', 'K_LIMIT'];

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string) => tokens.push({ kind, text: query.slice(start, end), value: value ?? query.slice(start, end), start, end });
  while (i < query.length) {
    const ch = query[i]!;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '#') {
      while (i < query.length && query[i] !== '\n') i += 1;
      continue;
    }
    const start = i;
    if (ch === '"' || ch === "'") {
      let value = '';
      i += 1;
      while (i < query.length && query[i] !== ch) {
        if (query[i] === '\\' && i + 1 < query.length) {
          const next = query[i + 1]!;
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else value += query[i++];
      }
      if (i >= query.length) throw new QueryCompileError(`token recognition error at: '${query.slice(start, Math.min(query.length, start + 20))}'`, start, query.length - 1);
      i += 1;
      push('string', start, i, value);
      continue;
    }
    if (ch === '/') {
      let pattern = '';
      i += 1;
      while (i < query.length && query[i] !== '/') {
        if (query[i] === '\\' && i + 1 < query.length) {
          pattern += query[i + 1] === '/' ? '/' : `\\${query[i + 1]}`;
          i += 2;
        } else pattern += query[i++];
      }
      if (i >= query.length) throw new QueryCompileError(`token recognition error at: '${query.slice(start, Math.min(query.length, start + 20))}'`, start, query.length - 1);
      i += 1;
      push('regex', start, i, pattern);
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(query[i + 1] ?? ''))) {
      i += 1;
      while (i < query.length && /[0-9.]/.test(query[i]!)) i += 1;
      // A duration (1d, 30m) is a number followed by a unit; the unit is read as an identifier.
      push('number', start, i);
      continue;
    }
    if (/[A-Za-z_@`]/.test(ch)) {
      // A field path: identifier parts joined by dots; a part may be back-ticked (`aws:ebs:id`).
      let value = '';
      while (i < query.length) {
        const c = query[i]!;
        if (c === '`') {
          const close = query.indexOf('`', i + 1);
          if (close < 0) throw new QueryCompileError(`token recognition error at: '${query.slice(i, Math.min(query.length, i + 20))}'`, i, query.length - 1);
          value += query.slice(i + 1, close);
          i = close + 1;
        } else if (/[A-Za-z0-9_@$]/.test(c)) {
          // Other characters (a hyphen, a colon) need back-ticks in Logs Insights: the name stops there.
          value += c;
          i += 1;
        } else if (c === '.' && /[A-Za-z0-9_@`]/.test(query[i + 1] ?? '')) {
          value += c;
          i += 1;
        } else break;
      }
      push('ident', start, i, value);
      continue;
    }
    if (ch === '|') {
      i += 1;
      push('pipe', start, i);
      continue;
    }
    const two = query.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '=~') {
      i += 2;
      push('op', start, i);
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      i += 1;
      push('op', start, i);
      continue;
    }
    if ('()[],*'.includes(ch)) {
      i += 1;
      push('punct', start, i);
      continue;
    }
    throw new QueryCompileError(`token recognition error at: '${ch}'`, start, start);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', value: '', start: query.length, end: query.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The pipeline

export type Literal = string | number;

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'compare'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'like'; field: string; negated: boolean; text?: string; regex?: RegExp }
  | { kind: 'in'; field: string; negated: boolean; values: Literal[] }
  | { kind: 'present'; field: string };

export type Aggregate = { fn: 'count' | 'max' | 'min' | 'sum'; field?: string; name: string };
export type GroupKey = { kind: 'field'; field: string; name: string } | { kind: 'bin'; ms: number; name: string };

export type Command =
  | { kind: 'fields'; fields: Array<{ field: string; name: string }> }
  | { kind: 'filter'; expr: Expr }
  | { kind: 'parse'; field: string; regex: RegExp; names: string[] }
  | { kind: 'stats'; aggregates: Aggregate[]; by: GroupKey[] }
  | { kind: 'sort'; keys: Array<{ field: string; desc: boolean }> }
  | { kind: 'limit'; count: number };

export interface ParsedQuery {
  commands: Command[];
}

const UNITS: Record<string, number> = {
  ms: 1, msec: 1, millisecond: 1,
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.at += 1;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.value.toLowerCase() === word;
  }

  private fail(token: Token, expecting: string): never {
    throw new QueryCompileError(`mismatched input '${token.text}' expecting ${expecting}`, token.start, Math.max(token.start, token.end - 1));
  }

  private expectPunct(text: string): Token {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== text) this.fail(token, `'${text}'`);
    return token;
  }

  private field(): string {
    const token = this.next();
    if (token.kind !== 'ident' || ['and', 'or', 'not', 'by', 'as', 'like', 'in', 'asc', 'desc'].includes(token.value.toLowerCase())) this.fail(token, 'a field name');
    return token.value;
  }

  private alias(fallback: string): string {
    if (this.isWord(this.peek(), 'as')) {
      this.next();
      return this.field();
    }
    return fallback;
  }

  private literal(): Literal {
    const token = this.next();
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.text);
    return this.fail(token, 'a string or a number');
  }

  private regex(token: Token): RegExp {
    try {
      // Logs Insights writes case-insensitivity inline, (?i) at the start.
      const insensitive = token.value.startsWith('(?i)');
      return new RegExp(insensitive ? token.value.slice(4) : token.value, insensitive ? 'i' : '');
    } catch (error) {
      throw new QueryCompileError(`Invalid regular expression: ${(error as Error).message}`, token.start, token.end - 1);
    }
  }

  parse(): ParsedQuery {
    const commands: Command[] = [];
    for (;;) {
      const head = this.next();
      if (head.kind !== 'ident') this.fail(head, `{${COMMANDS.join(', ')}}`);
      const word = head.value.toLowerCase();
      if (word === 'fields') commands.push(this.fields());
      else if (word === 'filter') commands.push({ kind: 'filter', expr: this.orExpr() });
      else if (word === 'parse') commands.push(this.parseCommand());
      else if (word === 'stats') commands.push(this.stats());
      else if (word === 'sort') commands.push(this.sort());
      else if (word === 'limit') commands.push(this.limit());
      else this.fail(head, `{${COMMANDS.join(', ')}}`);
      const after = this.next();
      if (after.kind === 'eof') break;
      if (after.kind !== 'pipe') this.fail(after, `{<EOF>, '|'}`);
    }
    if (commands.filter((c) => c.kind === 'stats').length > 1) {
      const second = this.tokens.filter((t) => this.isWord(t, 'stats'))[1]!;
      throw new QueryCompileError('The sandbox runs one stats command per query', second.start, second.end - 1);
    }
    return { commands };
  }

  private fields(): Command {
    const fields: Array<{ field: string; name: string }> = [];
    do {
      const field = this.field();
      fields.push({ field, name: this.alias(field) });
    } while (this.peek().text === ',' && this.next());
    return { kind: 'fields', fields };
  }

  private parseCommand(): Command {
    const field = this.field();
    const token = this.next();
    if (token.kind !== 'regex') this.fail(token, 'a regular expression with named groups');
    const regex = this.regex(token);
    const names = [...token.value.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
    if (names.length === 0) throw new QueryCompileError('The regular expression of parse needs at least one named group (?<name>…)', token.start, token.end - 1);
    return { kind: 'parse', field, regex, names };
  }

  private stats(): Command {
    const aggregates: Aggregate[] = [];
    do {
      const fnToken = this.next();
      const fn = fnToken.kind === 'ident' ? fnToken.value.toLowerCase() : '';
      if (fn !== 'count' && fn !== 'max' && fn !== 'min' && fn !== 'sum') this.fail(fnToken, '{count, max, min, sum}');
      this.expectPunct('(');
      let field: string | undefined;
      if (this.peek().text === '*' && fn === 'count') this.next();
      else field = this.field();
      this.expectPunct(')');
      const name = this.alias(`${fn}(${field ?? '*'})`);
      aggregates.push({ fn, ...(field !== undefined ? { field } : {}), name });
    } while (this.peek().text === ',' && this.next());
    const by: GroupKey[] = [];
    if (this.isWord(this.peek(), 'by')) {
      this.next();
      do {
        if (this.isWord(this.peek(), 'bin') && this.peek(1).text === '(') {
          const start = this.next();
          this.next();
          const amount = this.next();
          if (amount.kind !== 'number') this.fail(amount, 'a time period such as 1d');
          const unitToken = this.next();
          const unit = unitToken.kind === 'ident' ? unitToken.value.toLowerCase().replace(/s$/, '') : '';
          const ms = UNITS[unit] ?? UNITS[unitToken.value.toLowerCase()];
          if (ms === undefined) this.fail(unitToken, '{ms, s, m, h, d}');
          const close = this.expectPunct(')');
          const text = this.tokens.slice(this.tokens.indexOf(start), this.tokens.indexOf(close) + 1).map((t) => t.text).join('');
          by.push({ kind: 'bin', ms: Number(amount.text) * ms, name: this.alias(text) });
        } else {
          const field = this.field();
          by.push({ kind: 'field', field, name: this.alias(field) });
        }
      } while (this.peek().text === ',' && this.next());
    }
    return { kind: 'stats', aggregates, by };
  }

  private sort(): Command {
    const keys: Array<{ field: string; desc: boolean }> = [];
    do {
      const field = this.field();
      let desc = false;
      if (this.isWord(this.peek(), 'desc')) {
        this.next();
        desc = true;
      } else if (this.isWord(this.peek(), 'asc')) this.next();
      keys.push({ field, desc });
    } while (this.peek().text === ',' && this.next());
    return { kind: 'sort', keys };
  }

  private limit(): Command {
    const token = this.next();
    if (token.kind !== 'number' || !/^\d+$/.test(token.text)) this.fail(token, 'a whole number');
    const count = Number(token.text);
    if (count < 1 || count > 10_000) throw new QueryCompileError('limit must be between 1 and 10000', token.start, token.end - 1);
    return { kind: 'limit', count };
  }

  private orExpr(): Expr {
    let left = this.andExpr();
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.andExpr() };
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.notExpr() };
    }
    return left;
  }

  private notExpr(): Expr {
    if (this.isWord(this.peek(), 'not')) {
      this.next();
      return { kind: 'not', expr: this.notExpr() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === '(') {
      this.next();
      const inner = this.orExpr();
      this.expectPunct(')');
      return inner;
    }
    if (this.isWord(token, 'ispresent') && this.peek(1).text === '(') {
      this.next();
      this.next();
      const field = this.field();
      this.expectPunct(')');
      return { kind: 'present', field };
    }
    const field = this.field();
    let negated = false;
    if (this.isWord(this.peek(), 'not')) {
      this.next();
      negated = true;
      if (!this.isWord(this.peek(), 'like') && !this.isWord(this.peek(), 'in')) this.fail(this.peek(), '{like, in}');
    }
    const op = this.next();
    if (this.isWord(op, 'like')) {
      const pattern = this.next();
      if (pattern.kind === 'regex') return { kind: 'like', field, negated, regex: this.regex(pattern) };
      if (pattern.kind === 'string') return { kind: 'like', field, negated, text: pattern.value };
      return this.fail(pattern, 'a string or a /regular expression/');
    }
    if (this.isWord(op, 'in')) {
      this.expectPunct('[');
      const values: Literal[] = [];
      if (this.peek().text !== ']') {
        do values.push(this.literal());
        while (this.peek().text === ',' && this.next());
      }
      this.expectPunct(']');
      return { kind: 'in', field, negated, values };
    }
    if (op.kind === 'op' && op.text === '=~') {
      const pattern = this.next();
      if (pattern.kind !== 'regex') this.fail(pattern, 'a /regular expression/');
      return { kind: 'like', field, negated: false, regex: this.regex(pattern) };
    }
    if (op.kind === 'op') return { kind: 'compare', field, op: op.text as '=' | '!=' | '<' | '<=' | '>' | '>=', value: this.literal() };
    return this.fail(op, `{'=', '!=', '<', '<=', '>', '>=', '=~', like, in}`);
  }
}

/** Parses a query string; throws QueryCompileError (→ MalformedQueryException). */
export function parseQuery(query: string): ParsedQuery {
  const tokens = tokenize(query);
  if (tokens.length === 1) throw new QueryCompileError(`mismatched input '<EOF>' expecting {${COMMANDS.join(', ')}}`, 0, 0);
  return new Parser(tokens).parse();
}

// ---------------------------------------------------------------------------------------------
// Running it

/** A timestamp value (shown as `yyyy-MM-dd HH:mm:ss.SSS`, UTC). */
export interface TimeValue {
  ms: number;
}
export type Value = string | number | boolean | TimeValue;

/** One log event as the engine sees it. */
export interface QueryEvent {
  timestamp: number;
  ingestionTime: number;
  logStream: string;
  log: string;
  ptr: string;
  message(): string;
  /** The message's size in UTF-8 bytes, when the source knows it without the text (the trail's generated history). */
  bytes?(): number;
  /** The message as JSON (undefined when it is not a JSON object). */
  json(): Record<string, unknown> | undefined;
}

function isTime(value: unknown): value is TimeValue {
  return typeof value === 'object' && value !== null && 'ms' in value;
}

/** `2026-12-07 06:24:42.000`: how Logs Insights prints a timestamp. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function formatValue(value: Value): string {
  if (isTime(value)) return formatTimestamp(value.ms);
  return String(value);
}

/** A JSON field by its dotted path (`resources.0.ARN`); only leaves (not objects or arrays) are fields. */
function jsonPath(json: Record<string, unknown>, path: string): Value | undefined {
  let current: unknown = json;
  // Keys may themselves contain dots only when back-ticked; the tokenizer has joined them, so try
  // the longest key first at each step.
  const parts = path.split('.');
  let i = 0;
  while (i < parts.length) {
    if (current === null || typeof current !== 'object') return undefined;
    let found = false;
    for (let j = parts.length; j > i; j -= 1) {
      const key = parts.slice(i, j).join('.');
      const container = current as Record<string, unknown>;
      if (Object.prototype.hasOwnProperty.call(container, key)) {
        current = container[key];
        i = j;
        found = true;
        break;
      }
    }
    if (!found) return undefined;
  }
  if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean') return current;
  return undefined;
}

export type Row = { event?: QueryEvent; own: Map<string, Value> };

function fieldOf(row: Row, field: string): Value | undefined {
  const own = row.own.get(field);
  if (own !== undefined) return own;
  const event = row.event;
  if (!event) return undefined;
  switch (field) {
    case '@timestamp':
      return { ms: event.timestamp };
    case '@ingestionTime':
      return { ms: event.ingestionTime };
    case '@message':
      return event.message();
    case '@logStream':
      return event.logStream;
    case '@log':
      return event.log;
    case '@ptr':
      return event.ptr;
    default: {
      const json = event.json();
      return json ? jsonPath(json, field) : undefined;
    }
  }
}

function asNumber(value: Value | Literal): number | undefined {
  if (isTime(value)) return value.ms;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function compare(a: Value, b: Value | Literal): number {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x - y;
  const s = formatValue(a);
  const t = typeof b === 'object' ? formatValue(b) : String(b);
  return s < t ? -1 : s > t ? 1 : 0;
}

function test(expr: Expr, row: Row): boolean {
  switch (expr.kind) {
    case 'and':
      return test(expr.left, row) && test(expr.right, row);
    case 'or':
      return test(expr.left, row) || test(expr.right, row);
    case 'not':
      return !test(expr.expr, row);
    case 'present':
      return fieldOf(row, expr.field) !== undefined;
    case 'compare': {
      // CHOICE: a comparison with a field the event does not have is false (`!=` included).
      const value = fieldOf(row, expr.field);
      if (value === undefined) return false;
      const order = typeof expr.value === 'string' && (expr.op === '=' || expr.op === '!=') ? (formatValue(value) === expr.value ? 0 : 1) : compare(value, expr.value);
      switch (expr.op) {
        case '=':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      return false;
    }
    case 'like': {
      const value = fieldOf(row, expr.field);
      if (value === undefined) return false;
      const text = formatValue(value);
      const hit = expr.regex ? expr.regex.test(text) : text.includes(expr.text ?? '');
      return expr.negated ? !hit : hit;
    }
    case 'in': {
      const value = fieldOf(row, expr.field);
      if (value === undefined) return false;
      const text = formatValue(value);
      const hit = expr.values.some((v) => String(v) === text);
      return expr.negated ? !hit : hit;
    }
  }
}

export interface QueryOutcome {
  /** Rows of field/value pairs, fields without a value left out. */
  rows: Array<Array<{ field: string; value: string }>>;
  recordsMatched: number;
  recordsScanned: number;
  bytesScanned: number;
}

/** The most rows a query returns (StartQuery `limit`: 1–10,000, default 10,000). */
export const MAX_QUERY_ROWS = 10_000;

const byteLengths = new Map<string, number>();
/** UTF-8 length, remembered for the texts scanned again and again (the trail's history). */
function byteLength(text: string): number {
  let n = byteLengths.get(text);
  if (n === undefined) {
    n = Buffer.byteLength(text);
    if (byteLengths.size > 200_000) byteLengths.clear();
    byteLengths.set(text, n);
  }
  return n;
}

/** A query part-way through its events: what it has kept and counted so far. */
export interface QueryScan {
  rows: Row[];
  recordsScanned: number;
  bytesScanned: number;
}

export function newScan(): QueryScan {
  return { rows: [], recordsScanned: 0, bytesScanned: 0 };
}

/** Runs the commands before `stats` over one event. */
export function scanEvent(query: ParsedQuery, scan: QueryScan, event: QueryEvent): void {
  scan.recordsScanned += 1;
  scan.bytesScanned += event.bytes ? event.bytes() : byteLength(event.message());
  const row: Row = { event, own: new Map() };
  for (const command of query.commands) {
    if (command.kind === 'stats') break;
    if (command.kind === 'filter' && !test(command.expr, row)) return;
    if (command.kind === 'parse') {
      const source = fieldOf(row, command.field);
      const match = source === undefined ? null : command.regex.exec(formatValue(source));
      for (const name of command.names) {
        const captured = match?.groups?.[name];
        if (captured !== undefined) row.own.set(name, captured);
      }
    }
  }
  scan.rows.push(row);
}

/** Runs a parsed query over events (already limited to the query's time range). */
export function runQuery(query: ParsedQuery, events: Iterable<QueryEvent>, maxRows = MAX_QUERY_ROWS): QueryOutcome {
  const scan = newScan();
  for (const event of events) scanEvent(query, scan, event);
  return finishQuery(query, scan, maxRows);
}

/** Aggregates, sorts and limits what the scan kept: the query's result. */
export function finishQuery(query: ParsedQuery, scan: QueryScan, maxRows = MAX_QUERY_ROWS): QueryOutcome {
  const { recordsScanned, bytesScanned } = scan;
  let rows = scan.rows;
  const statsAt = query.commands.findIndex((c) => c.kind === 'stats');
  const before = statsAt < 0 ? query.commands : query.commands.slice(0, statsAt);
  const recordsMatched = rows.length;
  let projection: Array<{ field: string; name: string }> | undefined;
  for (const command of before) if (command.kind === 'fields') projection = [...(projection ?? []), ...command.fields];

  const after = statsAt < 0 ? [] : query.commands.slice(statsAt);
  let order: string[] | undefined;
  for (const command of after) {
    if (command.kind === 'stats') {
      const groups = new Map<string, { keys: Array<[string, Value | undefined]>; values: Array<Value | undefined>; counts: number[] }>();
      for (const row of rows) {
        const keys: Array<[string, Value | undefined]> = command.by.map((g) => {
          if (g.kind === 'bin') {
            const ts = row.event?.timestamp;
            return [g.name, ts === undefined ? undefined : { ms: Math.floor(ts / g.ms) * g.ms }];
          }
          return [g.name, fieldOf(row, g.field)];
        });
        // CHOICE: events without a group-by field form their own group; the field is left out of its row.
        const id = JSON.stringify(keys.map(([, v]) => (v === undefined ? null : formatValue(v))));
        let group = groups.get(id);
        if (!group) groups.set(id, (group = { keys, values: command.aggregates.map(() => undefined), counts: command.aggregates.map(() => 0) }));
        command.aggregates.forEach((agg, i) => {
          const value = agg.field === undefined ? true : fieldOf(row, agg.field);
          if (value === undefined) return;
          if (agg.fn === 'count') {
            group.counts[i]! += 1;
            return;
          }
          const n = asNumber(value);
          if (n === undefined) return;
          const current = group.values[i];
          if (agg.fn === 'sum') group.values[i] = (typeof current === 'number' ? current : 0) + n;
          else if (current === undefined || (agg.fn === 'max' ? n > asNumber(current)! : n < asNumber(current)!)) group.values[i] = isTime(value) ? { ms: n } : n;
        });
      }
      rows = [...groups.values()].map((group) => {
        const own = new Map<string, Value>();
        for (const [name, value] of group.keys) if (value !== undefined) own.set(name, value);
        command.aggregates.forEach((agg, i) => {
          const value = agg.fn === 'count' ? group.counts[i]! : group.values[i];
          if (value !== undefined) own.set(agg.name, value);
        });
        return { own };
      });
      order = [...command.by.map((g) => g.name), ...command.aggregates.map((a) => a.name)];
    } else if (command.kind === 'filter') rows = rows.filter((row) => test(command.expr, row));
    else if (command.kind === 'fields') order = command.fields.map((f) => f.name);
  }
  for (const command of query.commands) {
    if (command.kind === 'sort') {
      const phaseRows = rows;
      phaseRows.sort((a, b) => {
        for (const key of command.keys) {
          const x = fieldOf(a, key.field);
          const y = fieldOf(b, key.field);
          if (x === undefined && y === undefined) continue;
          if (x === undefined) return 1;
          if (y === undefined) return -1;
          const c = compare(x, y);
          if (c !== 0) return key.desc ? -c : c;
        }
        return 0;
      });
    }
  }
  const limits = query.commands.filter((c): c is Extract<Command, { kind: 'limit' }> => c.kind === 'limit').map((c) => c.count);
  const cap = Math.min(maxRows, MAX_QUERY_ROWS, ...limits);
  rows = rows.slice(0, cap);

  const out = rows.map((row) => {
    const names = statsAt >= 0 ? order! : projection ? projection.map((p) => p.name) : ['@timestamp', '@message'];
    const cells: Array<{ field: string; value: string }> = [];
    for (const name of names) {
      const source = statsAt < 0 && projection ? (projection.find((p) => p.name === name)?.field ?? name) : name;
      const value = fieldOf(row, source);
      if (value !== undefined) cells.push({ field: name, value: formatValue(value) });
    }
    if (statsAt < 0 && row.event) cells.push({ field: '@ptr', value: row.event.ptr });
    return cells;
  });
  return { rows: out, recordsMatched, recordsScanned, bytesScanned };
}
