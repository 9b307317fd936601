#!/usr/bin/env node
// Thin entry: parse flags, pick the command, wire the connection, exit once.
// Heavy modules (Ink, React, the AWS SDK, the sandbox) load only when a command needs them.

// First, before meow or anything else loads: the interactive view's keyboard goes raw at once.
import { releaseEarlyKeyboard } from './early-keyboard.js';

const { default: meow } = await import('meow');

// keywarden supports Node 20 (package.json engines). The SDK's notice about its own future
// Node requirement would be printed over the TUI; set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// React's development build (the default without NODE_ENV) checks and times every render and is
// several times slower: a keystroke over 10,000 keys would lag. Set before React is loaded.
process.env.NODE_ENV ??= 'production';

const help = `
  Usage
    $ keywarden [options]                 interactive view of your KMS keys
    $ keywarden list [--all] [--json] [--no-last-use]
                                          every customer-managed key (--all adds AWS managed keys), with
                                          last use: values read less than an hour ago are reused, the rest
                                          read at GetKeyLastUsage's 5 per second (progress on stderr);
                                          --no-last-use skips it (lastUsage is "pending")
    $ keywarden show KEY [--json]         one key: alias name, key id or key ARN; with --org or --profiles,
                                          KEY is a key ARN and is read in its own account
    $ keywarden usage KEY [--days N] [--engine insights|lookup|files] [--cloudtrail-s3 [s3://BUCKET/PREFIX]] [--allow-partial] [--json]
                                          who used the key, how, what depends on it, and who uses it from
                                          other accounts (CloudTrail); with --org, KEY is a key ARN and is
                                          read in its own account
    $ keywarden usage KEY --cloudtrail-dir DIR [--since DATE] [--until DATE] [--days N] [--allow-partial]
                                          the same from a copy of the trail's log files, any age; offline
                                          (no credentials, no network) when KEY is a key ARN or key id
    $ keywarden findings [--json | --sarif | --asff | --import] [--min-severity S] [--fail-on S] [--only IDS] [--skip IDS]
                                          every finding on every customer-managed key in scope, grouped
                                          by severity and key; --sarif: SARIF 2.1.0; --asff: AWS Security
                                          Finding Format, one BatchImportFindings request (≤ 100) a line;
                                          --import: send them to Security Hub (BatchImportFindings)
                                          --fail-on S: exit 1 when a finding at least S is not suppressed
    $ keywarden findings --catalogue [--json]
                                          every finding keywarden reports: id, severity, fix, AWS docs
    $ keywarden report KEY [--format md|json] [--days N]
                                          evidence for a change board: metadata, grants, policy and its
                                          findings, usage, the retirement record and journal entries
    $ keywarden guard add KEY [--days N] [--except-role ARN]
                                          add the guard AWS recommends to the key policy: deny DisableKey and
                                          ScheduleKeyDeletion while the key was used within N days (default
                                          365, config thresholds.guardDays), except a break-glass role;
                                          previews the diff and the calls of 90 days it would have refused
    $ keywarden guard remove KEY          take keywarden's guard out of the key policy again
    $ keywarden rotation enable KEY [--period DAYS]   automatic rotation on (90–2560 days, default 365)
    $ keywarden rotation disable KEY                  automatic rotation off (type the alias or id)
    $ keywarden rotation rotate-now KEY               on-demand rotation (25 per key)
    $ keywarden grants retire|revoke KEY GRANT_ID     remove a grant (type the alias or id)
    $ keywarden key enable|disable KEY                enable or disable a key (disable: type the alias or id)
    $ keywarden retire start KEY [--watch-days N] [--window-days N] [--acknowledge ID,…]
                                          preflight evidence, then disable the key (type the alias or id)
    $ keywarden retire advance KEY [--log-group NAME] [--sns-topic ARN] [--weaker-watch] [--deletion-days N]
                                          the next step: the alarm, then (after the watch) deletion;
                                          a weaker watch older than CloudTrail's 90 days starts again
    $ keywarden retire rollback KEY       one step back: cancel the deletion, or enable the key again;
                                          when someone else changed the key (deletion cancelled, key
                                          enabled) or keywarden did not disable it: close the retirement
                                          (removes keywarden's alarm, filter and tags; never enables,
                                          disables or deletes the key)
    $ keywarden retire status KEY [--json]
    $ keywarden retire status --org|--profiles a,b [--json]
                                          every account's retirements, each read in its account
    $ keywarden retirements [--json]      every retirement in progress, its stage and next step; with
                                          --org or --profiles every account's, each read in its account
    $ keywarden journal [--key KEY] [--json]          the audit journal of every change made
    $ keywarden sandbox serve [--port N] [--state FILE] [--large-estate N] [--quota-scale X]
                                          run the built-in AWS-compatible endpoint alone; it
                                          enforces AWS's request quotas, times X (default 1)
    $ keywarden sandbox reset [--state FILE] [--yes]
                                          put the sandbox back to its seeded estate
    $ keywarden sandbox clock [+15d|+36h|+90m|+1w] [--endpoint-url URL | --state FILE] [--json]
                                          print the sandbox's time, or move it forward (what falls
                                          due runs: deletions, rotations, workloads, alarms)

  Connection
    --profile NAME        AWS profile from your shared config (default: AWS_PROFILE / default chain)
    --region REGION       region to read; repeat for a multi-region view
                          (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)
    --endpoint-url URL    send every request to this AWS-compatible endpoint
    --sandbox             start the built-in sandbox on a free loopback port and use it
    --quota-scale X       --sandbox, sandbox serve: AWS's request quotas × X (default 1)
    --all-regions         every region enabled for the account (EC2 DescribeRegions), loaded
                          in parallel; a region that fails is marked, the others load
    --allow-insecure-endpoint
                          accept a plain http:// endpoint on a host that is not this machine
                          (signed requests would cross the network unencrypted)

  Many accounts (the interactive view, list, findings, retirements; and show, usage, report, guard,
  rotation, grants, key and retire with a key ARN: the key's own account, no other account's role assumed)
    --org                 every account of your AWS organization (Organizations, from management
                          or delegated-administrator credentials); read-only unless --operator-role
    --org-role NAME       role assumed in each account to read it (default
                          OrganizationAccountAccessRole; use a read-only role of your own)
    --accounts ID,ID      only these accounts          --ou ID   only the accounts under this OU
    --operator-role NAME  role assumed in a key's own account to change it (journalled with it);
                          without it, changes with --org are refused (exit 1)
    --profiles a,b        several profiles of your shared config, each read as its account
    --all-profiles        every profile of your shared config (SSO, role_arn, credential_process …)

  Behaviour
    --read-only           refuse every change to AWS
    --json                print JSON (list, show) instead of text
    --no-last-use         list: skip last use (GetKeyLastUsage, 5 per second); lastUsage stays "pending"
    --no-clipboard        interactive view: c and y do not copy to the clipboard (OSC 52); the text is shown instead
    --yes                 confirm without asking (changes, sandbox reset); required when not interactive
    --period DAYS         rotation period for "rotation enable" (90–2560, default 365)
    --key KEY             journal: only the entries of this key
    --days N              usage: the window in days (1–90 from LookupEvents, 1–365 from Logs Insights; any with
                          --cloudtrail-dir or --cloudtrail-s3)
    --engine E            usage: insights (Logs Insights over the trail's log group), lookup (LookupEvents) or files
                          (--cloudtrail-dir); default: Insights when the trail delivers to CloudWatch Logs and the
                          window is over 7 days, LookupEvents otherwise (the choice and why go to stderr)
    --cloudtrail-dir DIR  usage: read CloudTrail log files delivered to S3 (plain or .gz, a file or a tree);
                          the window is the span of the records read, narrowed by --since, --until, --days
    --cloudtrail-s3 [URL] usage: read the log files in the trail's bucket: s3://BUCKET/PREFIX, or without a URL
                          the bucket of the trail covering the key's region (DescribeTrails); only the window's
                          day folders are listed (needs s3:ListBucket and s3:GetObject)
    --since DATE          usage --cloudtrail-dir: from this ISO date or time (UTC), e.g. 2026-01-01
    --until DATE          usage --cloudtrail-dir: up to this ISO date (the whole day) or time (UTC)
    --allow-partial       usage --cloudtrail-dir/--cloudtrail-s3: exit 0 even when some log files cannot be read
    --format md|json      report: Markdown with tables (default) or JSON (same as --json)
    --sarif, --asff       findings: SARIF 2.1.0, or ASFF for Security Hub, instead of the table
    --import              findings: send the findings to Security Hub (BatchImportFindings, ≤ 100 a request,
                          10 requests/s, each key's Region) and print what it took; exit 1 if any was refused
    --min-severity S      findings: only high, medium, low or info (default) and above
    --fail-on S           findings: exit code 1 when a finding of severity S or above is not suppressed
    --only IDS, --skip IDS
                          findings: only / not these finding ids (comma-separated; see --catalogue)
    --catalogue           findings: print the finding catalogue instead of scanning
    --except-role ARN     guard add: the break-glass role the guard exempts (config thresholds.breakGlassRole)
    --unused-days N       findings: flag enabled keys unused this long (default 90)
    --disabled-days N     findings: flag keys disabled this long with no retirement (default 30)
    --recent-use-days N   findings: flag keys pending deletion used within N days (default 30)
    --max-rotation-days N findings: flag rotation periods longer than N days (default 365)
    --admin-roles A,B     findings: role-name patterns treated as key administrators
                          (defaults: Admin, KeyAdmin, OrganizationAccountAccessRole); the
                          thresholds.* fields of <config dir>/config.json set the same
    --watch-days N        retire start: observation window after the alarm (default 14)
    --window-days N       retire start: CloudTrail usage window for the preflight (default 30)
    --acknowledge IDS     retire start: blocking findings you have read and accept (comma-separated ids)
    --deletion-days N     retire advance: ScheduleKeyDeletion waiting period, 7–30 (default 30)
    --log-group NAME      retire advance: put the metric filter on this log group instead of the trail's
    --log-group-region R  retire advance: the region of --log-group (default: the key's)
    --sns-topic ARN       retire advance: notify this SNS topic when the alarm fires
    --weaker-watch        retire advance: no alarm; keywarden polls CloudTrail (recorded as weaker)
    --help                show this help
    --version             show the version

  Examples
    $ keywarden --sandbox
    $ keywarden --profile prod --region eu-west-1 --region us-east-1
    $ keywarden --profile prod --all-regions
    $ keywarden list --json --region us-east-1 | jq '.keys[].arn'
    $ keywarden show alias/ebs/prod-data --sandbox
`;

const FLAGS = {
  profile: { type: 'string' },
  region: { type: 'string', isMultiple: true },
  endpointUrl: { type: 'string' },
  sandbox: { type: 'boolean', default: false },
  allRegions: { type: 'boolean', default: false },
  allowInsecureEndpoint: { type: 'boolean', default: false },
  readOnly: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  lastUse: { type: 'boolean', default: true },
  clipboard: { type: 'boolean', default: true },
  yes: { type: 'boolean', default: false },
  all: { type: 'boolean', default: false },
  port: { type: 'string' },
  state: { type: 'string' },
  largeEstate: { type: 'string' },
  quotaScale: { type: 'string' },
  period: { type: 'string' },
  key: { type: 'string' },
  days: { type: 'string' },
  cloudtrailDir: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  cloudtrailS3: { type: 'string' },
  allowPartial: { type: 'boolean', default: false },
  engine: { type: 'string' },
  watchDays: { type: 'string' },
  windowDays: { type: 'string' },
  deletionDays: { type: 'string' },
  acknowledge: { type: 'string' },
  logGroup: { type: 'string' },
  logGroupRegion: { type: 'string' },
  snsTopic: { type: 'string' },
  weakerWatch: { type: 'boolean', default: false },
  format: { type: 'string' },
  unusedDays: { type: 'string' },
  disabledDays: { type: 'string' },
  recentUseDays: { type: 'string' },
  maxRotationDays: { type: 'string' },
  adminRoles: { type: 'string' },
  sarif: { type: 'boolean', default: false },
  asff: { type: 'boolean', default: false },
  import: { type: 'boolean', default: false },
  catalogue: { type: 'boolean', default: false },
  minSeverity: { type: 'string' },
  failOn: { type: 'string' },
  only: { type: 'string' },
  skip: { type: 'string' },
  exceptRole: { type: 'string' },
  org: { type: 'boolean', default: false },
  orgRole: { type: 'string' },
  accounts: { type: 'string' },
  ou: { type: 'string' },
  operatorRole: { type: 'string' },
  profiles: { type: 'string' },
  allProfiles: { type: 'boolean', default: false },
} as const;

/** String flags whose value may be left out: `--cloudtrail-s3` alone reads the trail's own bucket. */
const OPTIONAL_VALUE_FLAGS: readonly string[] = ['cloudtrail-s3'];

/** Whether the argument after the flag at `i` is its value (there is one, and it is not another flag). */
function valueFollows(args: readonly string[], i: number): boolean {
  const next = args[i + 1];
  return next !== undefined && !next.startsWith('-');
}

/**
 * `--cloudtrail-s3` given without a value (last, or before another flag), as opposed to an empty
 * value (`--cloudtrail-s3=` or `--cloudtrail-s3 ""`), which stays a mistake.
 */
function givenWithoutValue(args: readonly string[], flag: string): boolean {
  const stop = args.indexOf('--');
  return args.some((arg, i) => (stop < 0 || i < stop) && arg === `--${flag}` && !valueFollows(args, i) && args[i + 1] !== '');
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const KNOWN_FLAGS = [...Object.keys(FLAGS).map(kebab), 'help', 'version'];

/**
 * The first argument that looks like a flag keywarden does not have (before a `--`). A string
 * flag's value is skipped (`--period -5` is the flag's value, refused later as a bad period).
 */
function findUnknownFlag(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-' || /^-(?:\d+|\d*\.\d+)$/.test(arg)) continue;
    if (!arg.startsWith('--')) return arg;
    const [name = '', value] = arg.slice(2).split(/=(.*)/s);
    const bare = name.startsWith('no-') && !KNOWN_FLAGS.includes(name) ? name.slice(3) : name;
    if (!KNOWN_FLAGS.includes(bare)) return arg;
    const camel = bare.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof typeof FLAGS;
    if (value === undefined && FLAGS[camel]?.type === 'string' && !(OPTIONAL_VALUE_FLAGS.includes(bare) && !valueFollows(args, i))) i += 1;
  }
  return undefined;
}

// `sandbox clock -15d` would otherwise be read as an unknown flag: say what is wrong with it instead.
{
  const args = process.argv.slice(2);
  const at = args.findIndex((arg, i) => arg === 'sandbox' && args[i + 1] === 'clock');
  const backwards = at >= 0 ? args.slice(at + 2).find((arg) => /^-\d/.test(arg)) : undefined;
  if (backwards) {
    process.stderr.write(`keywarden: sandbox clock: "${backwards}": the sandbox's time only moves forward (as AWS's does); nothing changed\nRun "keywarden --help" for usage.\n`);
    process.exit(2);
  }
}

const cli = meow(help, {
  importMeta: import.meta,
  // Unknown flags are reported by main() with a suggestion ("did you mean --endpoint-url?").
  allowUnknownFlags: true,
  flags: FLAGS,
});

// meow shows the help and the version only when the flag is the whole command line: anywhere
// before a `--` (`keywarden list --help`, `keywarden sandbox serve --help`), they answer the
// same and nothing runs.
{
  const args = process.argv.slice(2);
  const end = args.indexOf('--');
  const flags = end < 0 ? args : args.slice(0, end);
  if (flags.includes('--help')) cli.showHelp(0);
  if (flags.includes('--version')) cli.showVersion();
}

function connectFlagsFrom(flags: typeof cli.flags): import('./app/connect.js').ConnectFlags {
  return {
    regions: flags.region ?? [],
    sandbox: flags.sandbox,
    readOnly: flags.readOnly,
    allRegions: flags.allRegions,
    allowInsecureEndpoint: flags.allowInsecureEndpoint,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
    ...(flags.state ? { sandboxState: flags.state } : {}),
    ...(flags.org ? { org: true } : {}),
    ...(flags.orgRole !== undefined ? { orgRole: flags.orgRole } : {}),
    ...(flags.accounts !== undefined ? { accounts: flags.accounts.split(',').map((id) => id.trim()).filter((id) => id !== '') } : {}),
    ...(flags.ou !== undefined ? { ou: flags.ou } : {}),
    ...(flags.operatorRole !== undefined ? { operatorRole: flags.operatorRole } : {}),
    ...(flags.profiles !== undefined ? { profiles: flags.profiles.split(',').map((p) => p.trim()).filter((p) => p !== '') } : {}),
    ...(flags.allProfiles ? { allProfiles: true } : {}),
  };
}

type Flags = typeof cli.flags;
type FlagName = keyof typeof FLAGS;

/** What a command gets: its arguments, the flags, and the way to refuse a bad command line (exit 2). */
interface CommandContext {
  args: string[];
  flags: Flags;
  usage: (message: string) => number;
  quotaScale: number | undefined;
  thresholds: import('./app/config.js').ThresholdOverrides;
}

/** A command made ready to run: checked, its options parsed; `connects` ones get a connection. */
type Prepared = number | { run: (connection: import('./app/connect.js').Connection) => Promise<number> } | { local: () => Promise<number> };

interface CommandSpec {
  name: string;
  /** Flags the command takes besides the connection flags (when it connects). */
  flags: readonly FlagName[];
  /** Whether it talks to AWS (and so takes --profile, --region, --endpoint-url, --sandbox …). */
  connects: boolean;
  prepare: (context: CommandContext) => Promise<Prepared>;
}

/** The flags that choose where requests go, for every command that connects. */
const CONNECTION_FLAGS: readonly FlagName[] = ['profile', 'region', 'endpointUrl', 'sandbox', 'allRegions', 'allowInsecureEndpoint', 'readOnly', 'quotaScale', 'state'];
const THRESHOLD_FLAGS: readonly FlagName[] = ['unusedDays', 'disabledDays', 'recentUseDays', 'maxRotationDays', 'adminRoles'];
/**
 * Many accounts: the interactive view, `list`, `findings`, `retirements` read them all; the commands
 * about one key (`show`, `usage`, `report`, `guard`, `rotation`, `key`, `grants`, `retire`) work in the key's
 * own account, named by its ARN (src/app/key-account.ts).
 */
const ORG_FLAGS: readonly FlagName[] = ['org', 'orgRole', 'accounts', 'ou', 'operatorRole', 'profiles', 'allProfiles'];

/** Whether the command line asks for several accounts (--org, --profiles, --all-profiles). */
const severalAccounts = (flags: Flags): boolean => flags.org || flags.allProfiles || flags.profiles !== undefined;

/**
 * With several accounts a key must be named by its ARN (it says the account): anything else is
 * refused here, before anything is sent (exit 2).
 */
async function keyNamesItsAccount(key: string | undefined, { flags, usage }: Pick<CommandContext, 'flags' | 'usage'>): Promise<number | undefined> {
  if (key === undefined || !severalAccounts(flags)) return undefined;
  const { accountOfKeyRef, keyArnNeeded } = await import('./domain/key-account.js');
  return accountOfKeyRef(key) ? undefined : usage(keyArnNeeded(key));
}

function exactlyOneKey(name: string, context: CommandContext): number | undefined {
  return context.args.length === 1 ? undefined : context.usage(`${name} needs exactly one key: an alias name, key id or key ARN`);
}

function noArguments(context: CommandContext): number | undefined {
  return context.args.length > 0 ? context.usage(`unexpected argument "${context.args[0]}"`) : undefined;
}

const retireFlagsOf = (flags: Flags) => ({
  json: flags.json,
  yes: flags.yes,
  watchDays: flags.watchDays,
  windowDays: flags.windowDays,
  deletionDays: flags.deletionDays,
  acknowledge: flags.acknowledge,
  logGroup: flags.logGroup,
  logGroupRegion: flags.logGroupRegion,
  snsTopic: flags.snsTopic,
  weakerWatch: flags.weakerWatch,
});

/** A change command (rotation, grants, key): parsed by the change module, confirmed there. */
const changeCommand = (name: string, extra: readonly FlagName[] = []): CommandSpec => ({
  name,
  flags: ['json', 'yes', ...extra, ...ORG_FLAGS],
  connects: true,
  async prepare({ args, flags, usage }) {
    const { parseChange } = await import('./commands/change.js');
    const parsed = parseChange([name, ...args], { period: flags.period });
    if (!parsed.ok) return usage(parsed.message);
    const refused = await keyNamesItsAccount(parsed.key, { flags, usage });
    if (refused !== undefined) return refused;
    return {
      run: async (connection) => (await import('./commands/change.js')).runChange(connection, parsed, { json: flags.json, yes: flags.yes }),
    };
  },
});

/** Every command: what it takes, and how it is prepared and run. Help text above, in the same order. */
const COMMAND_TABLE: readonly CommandSpec[] = [
  {
    name: 'list',
    flags: ['json', 'all', 'lastUse', ...THRESHOLD_FLAGS, ...ORG_FLAGS],
    connects: true,
    async prepare(context) {
      const refused = noArguments(context);
      if (refused !== undefined) return refused;
      const { flags } = context;
      // config.json is read (and a broken one refused) before anything is sent.
      const thresholds = await (await import('./app/config.js')).loadThresholds(context.thresholds);
      return { run: async (connection) => (await import('./commands/inventory.js')).runList(connection, { json: flags.json, all: flags.all, lastUse: flags.lastUse, thresholds }) };
    },
  },
  {
    name: 'findings',
    flags: ['json', 'sarif', 'asff', 'import', 'catalogue', 'minSeverity', 'failOn', 'only', 'skip', ...THRESHOLD_FLAGS, ...ORG_FLAGS],
    connects: true,
    async prepare({ args, flags, usage, thresholds }) {
      if (args.length > 0) return usage(`unexpected argument "${args[0]}" (findings scans every key in scope; use --only/--skip to choose findings)`);
      const findings = await import('./commands/findings.js');
      if (flags.catalogue) {
        const others = (['sarif', 'asff', 'import', 'minSeverity', 'failOn', 'only', 'skip'] as const).filter((name) => given(flags, name));
        if (others.length > 0) return usage(`--catalogue only goes with --json, not --${kebab(others[0]!)}`);
        return { local: async () => findings.runCatalogue(flags.json) };
      }
      // BatchImportFindings takes only the calling account's findings: one account at a time.
      const several = (['org', 'profiles', 'allProfiles'] as const).find((name) => given(flags, name));
      if (flags.import && several) return usage(`--import sends one account's findings (BatchImportFindings takes only the caller's): run it per account, not with --${kebab(several)}`);
      const parsed = findings.parseFindingsFlags({ json: flags.json, sarif: flags.sarif, asff: flags.asff, import: flags.import, minSeverity: flags.minSeverity, failOn: flags.failOn, only: flags.only, skip: flags.skip });
      if (!parsed.ok) return usage(parsed.message);
      const options = { ...parsed.options, thresholds, version: cli.pkg.version ?? '0.0.0' };
      return { run: (connection) => findings.runFindings(connection, options) };
    },
  },
  {
    name: 'guard',
    flags: ['json', 'yes', 'days', 'exceptRole', ...ORG_FLAGS],
    connects: true,
    async prepare({ args, flags, usage }) {
      const { parseGuard, runGuard } = await import('./commands/guard.js');
      const parsed = parseGuard(['guard', ...args], { days: flags.days, exceptRole: flags.exceptRole });
      if (!parsed.ok) return usage(parsed.message);
      const refused = await keyNamesItsAccount(parsed.command.key, { flags, usage });
      if (refused !== undefined) return refused;
      return { run: (connection) => runGuard(connection, parsed.command, { json: flags.json, yes: flags.yes }) };
    },
  },
  {
    name: 'show',
    flags: ['json', ...ORG_FLAGS],
    connects: true,
    async prepare(context) {
      const refused = exactlyOneKey('show', context) ?? (await keyNamesItsAccount(context.args[0], context));
      if (refused !== undefined) return refused;
      return { run: async (connection) => (await import('./commands/inventory.js')).runShow(connection, context.args[0]!, { json: context.flags.json }) };
    },
  },
  {
    name: 'usage',
    flags: ['json', 'days', 'cloudtrailDir', 'cloudtrailS3', 'engine', 'since', 'until', 'allowPartial', ...ORG_FLAGS],
    connects: true,
    async prepare(context) {
      const { flags } = context;
      // `usage --cloudtrail-s3 KEY`: the flag has no URL, the word after it is the key.
      let args = context.args;
      let cloudtrailS3: string | true | undefined = flags.cloudtrailS3;
      if (typeof cloudtrailS3 === 'string' && givenWithoutValue(process.argv.slice(2), 'cloudtrail-s3')) cloudtrailS3 = true;
      else if (typeof cloudtrailS3 === 'string' && args.length === 0 && !cloudtrailS3.startsWith('s3:')) [args, cloudtrailS3] = [[cloudtrailS3], true];
      const refused = exactlyOneKey('usage', { ...context, args });
      if (refused !== undefined) return refused;
      const { offlineKeyRef, parseUsageFlags, runUsage, runUsageOffline } = await import('./commands/usage.js');
      const parsed = parseUsageFlags({ days: flags.days, cloudtrailDir: flags.cloudtrailDir, cloudtrailS3, engine: flags.engine, since: flags.since, until: flags.until, allowPartial: flags.allowPartial, json: flags.json });
      if (!parsed.ok) return context.usage(parsed.message);
      // Log files and a key ARN (or id) need nothing from AWS, unless a connection is asked for
      // (it adds the key's grants): no credentials, no Region, no network.
      const connectionAsked = CONNECTION_FLAGS.some((name) => given(flags, name));
      if (parsed.options.cloudtrailDir && offlineKeyRef(args[0]!) && !connectionAsked) return { local: () => runUsageOffline(args[0]!, parsed.options) };
      return { run: (connection) => runUsage(connection, args[0]!, parsed.options) };
    },
  },
  {
    name: 'report',
    flags: ['json', 'format', 'days', ...THRESHOLD_FLAGS, ...ORG_FLAGS],
    connects: true,
    async prepare(context) {
      const refused = exactlyOneKey('report', context) ?? (await keyNamesItsAccount(context.args[0], context));
      if (refused !== undefined) return refused;
      const { flags } = context;
      const { parseReportFlags, runReport } = await import('./commands/report.js');
      const parsed = parseReportFlags({ format: flags.format, days: flags.days, json: flags.json });
      if (!parsed.ok) return context.usage(parsed.message);
      return { run: (connection) => runReport(connection, context.args[0]!, { ...parsed.options, thresholds: context.thresholds }) };
    },
  },
  changeCommand('rotation', ['period']),
  changeCommand('grants'),
  changeCommand('key'),
  {
    name: 'retire',
    flags: ['json', 'yes', 'watchDays', 'windowDays', 'deletionDays', 'acknowledge', 'logGroup', 'logGroupRegion', 'snsTopic', 'weakerWatch', ...ORG_FLAGS],
    connects: true,
    async prepare({ args, flags, usage }) {
      const { parseRetire, runRetire, runRetirementsList } = await import('./commands/retire.js');
      // `retire status --org` without a key: every account's retirements, each read in its account.
      if (args.length === 1 && args[0] === 'status' && severalAccounts(flags)) {
        const others = (['watchDays', 'windowDays', 'deletionDays', 'acknowledge', 'logGroup', 'logGroupRegion', 'snsTopic', 'weakerWatch', 'yes'] as const).find((name) => given(flags, name));
        if (others) return usage(`${flagLabel(others)} does not go with "retire status"`);
        return { run: (connection) => runRetirementsList(connection, { json: flags.json }) };
      }
      const retireFlags = retireFlagsOf(flags);
      const parsed = parseRetire(['retire', ...args], retireFlags);
      if (!parsed.ok) return usage(parsed.message);
      const refused = await keyNamesItsAccount(parsed.key, { flags, usage });
      if (refused !== undefined) return refused;
      return { run: (connection) => runRetire(connection, parsed, retireFlags) };
    },
  },
  {
    name: 'retirements',
    flags: ['json', ...ORG_FLAGS],
    connects: true,
    async prepare(context) {
      const refused = noArguments(context);
      if (refused !== undefined) return refused;
      return { run: async (connection) => (await import('./commands/retire.js')).runRetirementsList(connection, { json: context.flags.json }) };
    },
  },
  {
    name: 'journal',
    // --profile, --region … only to find the key behind an alias given to --key.
    flags: ['json', 'key', ...CONNECTION_FLAGS],
    connects: false,
    async prepare(context) {
      const refused = noArguments(context);
      if (refused !== undefined) return refused;
      return { local: () => runJournalCommand(context.flags) };
    },
  },
  {
    name: 'sandbox',
    flags: ['json', 'yes', 'port', 'state', 'largeEstate', 'quotaScale', 'endpointUrl', 'sandbox'],
    connects: false,
    prepare: prepareSandbox,
  },
];

const COMMANDS = COMMAND_TABLE.map((c) => c.name);

/** Whether a flag was given on the command line (not its default). */
function given(flags: Flags, name: FlagName): boolean {
  const value = (flags as Record<string, unknown>)[name];
  const definition = FLAGS[name] as { default?: unknown };
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== definition.default;
}

/** The flag as typed: --no-last-use for a flag whose default is true. */
function flagLabel(name: FlagName): string {
  return (FLAGS[name] as { default?: unknown }).default === true ? `--no-${kebab(name)}` : `--${kebab(name)}`;
}

async function runJournalCommand(flags: Flags): Promise<number> {
  const { runJournal, isKeyIdOrArn } = await import('./commands/journal.js');
  let key = flags.key;
  if (key !== undefined && !isKeyIdOrArn(key)) {
    // The journal records key ARNs; an alias is looked up where it lives (the same connection
    // flags as every other command), so `journal --key alias/x` finds that key's entries.
    const { connect } = await import('./app/connect.js');
    const { resolveKey } = await import('./aws/inventory.js');
    const alias = key;
    const { KeywardenError } = await import('./domain/errors.js');
    const { toDomainError } = await import('./aws/errors.js');
    try {
      const connection = await connect(connectFlagsFrom(flags));
      try {
        key = (await resolveKey(connection.clients, alias)).arn;
      } finally {
        await connection.close();
      }
    } catch (error) {
      const domain = toDomainError(error);
      throw new KeywardenError(domain.kind, `to find the key behind "${alias}", keywarden asks AWS: ${domain.message} (or give the key id or key ARN)`, { cause: error });
    }
  }
  return runJournal({ json: flags.json, ...(key ? { key } : {}) });
}

function wholeNumber(name: string, value: string | undefined): number | undefined | Error {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) return new Error(`--${name} must be a whole number, not "${value}"`);
  return Number(value);
}

async function prepareSandbox({ args, flags, usage, quotaScale }: CommandContext): Promise<Prepared> {
  const { didYouMean } = await import('./commands/suggest.js');
  const [sub, ...extra] = args;
  if (sub === 'clock') {
    if (extra.length > 1) return usage(`unexpected argument "${extra[1]}"`);
    if (flags.endpointUrl && flags.state) return usage('--endpoint-url and --state cannot be used together: name the running sandbox or its state file');
    if (flags.sandbox && flags.endpointUrl) return usage('--sandbox and --endpoint-url cannot be used together');
    let advanceSeconds: number | undefined;
    if (extra.length === 1) {
      const { parseClockAmount } = await import('./domain/clock.js');
      const amount = parseClockAmount(extra[0]);
      if (!amount.ok) return usage(`sandbox clock: ${amount.message}; nothing changed`);
      advanceSeconds = amount.seconds;
    }
    return {
      local: async () =>
        (await import('./commands/sandbox.js')).runSandboxClock({
          json: flags.json,
          ...(advanceSeconds !== undefined ? { advanceSeconds } : {}),
          ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
          ...(flags.state ? { state: flags.state } : {}),
        }),
    };
  }
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  if (sub === 'serve') {
    const port = wholeNumber('port', flags.port);
    const largeEstate = wholeNumber('large-estate', flags.largeEstate);
    if (port instanceof Error) return usage(port.message);
    if (largeEstate instanceof Error) return usage(largeEstate.message);
    if (port !== undefined && port > 65535) return usage(`--port must be 0–65535, not ${port}`);
    return {
      local: async () =>
        (await import('./commands/sandbox.js')).runSandboxServe({
          ...(port !== undefined ? { port } : {}),
          ...(flags.state ? { state: flags.state } : {}),
          ...(largeEstate ? { largeEstate } : {}),
          ...(quotaScale !== undefined ? { quotaScale } : {}),
        }),
    };
  }
  if (sub === 'reset') {
    if (quotaScale !== undefined) return usage('--quota-scale only goes with --sandbox or "sandbox serve"');
    return { local: async () => (await import('./commands/sandbox.js')).runSandboxReset({ yes: flags.yes, ...(flags.state ? { state: flags.state } : {}) }) };
  }
  return usage(sub ? `unknown sandbox command "${sub}" (serve, reset, clock)${didYouMean(sub, ['serve', 'reset', 'clock'])}` : 'sandbox needs a command: serve, reset or clock');
}

/** The interactive view (no command): the connection flags and the findings thresholds. */
const TUI_FLAGS: readonly FlagName[] = [...CONNECTION_FLAGS, ...THRESHOLD_FLAGS, ...ORG_FLAGS, 'clipboard'];

async function main(): Promise<number> {
  const { printError, endOutputQuietlyWhenPipeCloses } = await import('./commands/output.js');
  endOutputQuietlyWhenPipeCloses();
  const [command, ...rest] = cli.input;
  const flags = cli.flags;
  const usage = (message: string) => {
    printError(`${message}\nRun "keywarden --help" for usage.`);
    return 2;
  };
  const home = process.env.KEYWARDEN_HOME;
  if (home) {
    const { statSync } = await import('node:fs');
    const kind = (() => {
      try {
        return statSync(home).isDirectory() ? 'directory' : 'file';
      } catch {
        return 'missing'; // created on first write
      }
    })();
    if (kind === 'file') return usage(`KEYWARDEN_HOME is ${home}, which is a file: point it at a directory (keywarden creates it when missing)`);
  }
  const { didYouMean } = await import('./commands/suggest.js');
  const unknownFlag = findUnknownFlag(process.argv.slice(2));
  if (unknownFlag) return usage(`unknown flag "${unknownFlag}"${didYouMean(unknownFlag.replace(/^-+/, '').split('=')[0]!, KNOWN_FLAGS, '--')}`);
  // An empty value is a mistake, never "the default": `--endpoint-url ""` must not quietly mean
  // real AWS, nor `--profile ""` the default credentials, nor `--period=` the default period.
  for (const [name, definition] of Object.entries(FLAGS)) {
    if (definition.type !== 'string') continue;
    if (OPTIONAL_VALUE_FLAGS.includes(kebab(name)) && givenWithoutValue(process.argv.slice(2), kebab(name))) continue;
    const value = (flags as Record<string, unknown>)[name];
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.trim() === '')) return usage(`--${kebab(name)} needs a value`);
  }

  const spec = command === undefined ? undefined : COMMAND_TABLE.find((c) => c.name === command);
  // A command reads the keyboard as a terminal normally does (Ctrl-C, confirmations).
  if (command !== undefined) releaseEarlyKeyboard();
  if (command !== undefined && !spec) return usage(`unknown command "${command}"${didYouMean(command, COMMANDS)}`);

  let quotaScale: number | undefined;
  if (flags.quotaScale !== undefined) {
    quotaScale = /^\d+(\.\d+)?$/.test(flags.quotaScale) ? Number(flags.quotaScale) : NaN;
    if (!(quotaScale > 0)) return usage(`--quota-scale must be a number above 0 (0.1 = a starved account, 100 = a fast one), not "${flags.quotaScale}"`);
    if (command !== 'sandbox' && !flags.sandbox) return usage('--quota-scale only goes with --sandbox or "sandbox serve"');
  }
  // One rule for every flag: it goes with the commands that list it (the table), else exit 2.
  const accepted = new Set<FlagName>([...(spec ? spec.flags : TUI_FLAGS), ...(spec?.connects ? CONNECTION_FLAGS : [])]);
  for (const name of Object.keys(FLAGS) as FlagName[]) {
    if (!given(flags, name) || accepted.has(name)) continue;
    const takers = COMMAND_TABLE.filter((c) => c.flags.includes(name)).map((c) => `"${c.name}"`);
    const also = TUI_FLAGS.includes(name) ? [...takers, 'the interactive view'] : takers;
    return usage(`${flagLabel(name)} only goes with ${also.join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
  }

  const { parseThresholdFlags } = await import('./app/config.js');
  const thresholdFlags = parseThresholdFlags({
    unusedDays: flags.unusedDays,
    disabledDays: flags.disabledDays,
    recentUseDays: flags.recentUseDays,
    maxRotationDays: flags.maxRotationDays,
    adminRoles: flags.adminRoles,
  });
  if (!thresholdFlags.ok) return usage(thresholdFlags.message);

  const connectFlags = { ...connectFlagsFrom(flags), ...(quotaScale !== undefined ? { sandboxQuotaScale: quotaScale } : {}) };
  if (!spec) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      printError(
        'the interactive view needs a terminal. For scripts and pipes use JSON:\n' +
          '  keywarden list --json          every key\n' +
          '  keywarden show KEY --json      one key',
      );
      return 2;
    }
    // The interactive view draws its first frame before the SDK and the sandbox load (commands/tui.tsx).
    const { runTui } = await import('./commands/tui.js');
    return runTui(connectFlags, thresholdFlags.overrides, { clipboard: flags.clipboard });
  }
  const prepared = await spec.prepare({ args: rest, flags, usage, quotaScale, thresholds: thresholdFlags.overrides });
  if (typeof prepared === 'number') return prepared;
  if ('local' in prepared) return prepared.local();
  const { connect } = await import('./app/connect.js');
  const connection = await connect(connectFlags);
  const { retryNotices } = await import('./commands/output.js');
  connection.clients.onRetry(retryNotices());
  try {
    // Fail early, in words, when there are no credentials (before any screen is drawn).
    await connection.clients.sts().config.credentials();
    return await prepared.run(connection);
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => {
    releaseEarlyKeyboard(); // the view refused before it started (a usage error): nothing reads the keyboard any more
    process.exitCode = code;
  },
  async (error: unknown) => {
    releaseEarlyKeyboard();
    const [{ printError }, { toDomainError }] = await Promise.all([import('./commands/output.js'), import('./aws/errors.js')]);
    const domain = toDomainError(error);
    printError(domain.message);
    // A change asked for without its confirmation is a usage error, like a wrong flag.
    // So is a region, endpoint or profile that cannot be used (nothing was sent).
    process.exitCode = domain.kind === 'confirmation' || domain.kind === 'usage' ? 2 : 1;
  },
);
