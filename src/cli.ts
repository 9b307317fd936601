#!/usr/bin/env node
// Thin entry: parse flags, pick the command, wire the connection, exit once.
// Heavy modules (Ink, React, the AWS SDK, the sandbox) load only when a command needs them.

import meow from 'meow';

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
    $ keywarden show KEY [--json]         one key: alias name, key id or key ARN
    $ keywarden usage KEY [--days N] [--cloudtrail-dir DIR] [--json]
                                          who used the key, how, and what depends on it (CloudTrail)
    $ keywarden report KEY [--format md|json] [--days N]
                                          evidence for a change board: metadata, grants, policy and its
                                          findings, usage, the retirement record and journal entries
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
    $ keywarden retirements [--json]      every retirement in progress, its stage and next step
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

  Behaviour
    --read-only           refuse every change to AWS
    --json                print JSON (list, show) instead of text
    --no-last-use         list: skip last use (GetKeyLastUsage, 5 per second); lastUsage stays "pending"
    --no-clipboard        interactive view: c and y do not copy to the clipboard (OSC 52); the text is shown instead
    --yes                 confirm without asking (changes, sandbox reset); required when not interactive
    --period DAYS         rotation period for "rotation enable" (90–2560, default 365)
    --key KEY             journal: only the entries of this key
    --days N              usage: the window in days (1–90 from CloudTrail; more with --cloudtrail-dir)
    --cloudtrail-dir DIR  usage: read CloudTrail log files delivered to S3 (plain or .gz, a file or a tree)
    --format md|json      report: Markdown with tables (default) or JSON (same as --json)
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
} as const;

const COMMANDS = ['list', 'show', 'usage', 'report', 'rotation', 'grants', 'key', 'retire', 'retirements', 'journal', 'sandbox'];

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
    if (value === undefined && FLAGS[camel]?.type === 'string') i += 1;
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
  };
}

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
    const value = (flags as Record<string, unknown>)[name];
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && v.trim() === '')) return usage(`--${kebab(name)} needs a value`);
  }
  const wholeNumber = (name: string, value: string | undefined): number | undefined | Error => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) return new Error(`--${name} must be a whole number, not "${value}"`);
    return Number(value);
  };

  let quotaScale: number | undefined;
  if (flags.quotaScale !== undefined) {
    quotaScale = /^\d+(\.\d+)?$/.test(flags.quotaScale) ? Number(flags.quotaScale) : NaN;
    if (!(quotaScale > 0)) return usage(`--quota-scale must be a number above 0 (0.1 = a starved account, 100 = a fast one), not "${flags.quotaScale}"`);
    if (command !== 'sandbox' && !flags.sandbox) return usage('--quota-scale only goes with --sandbox or "sandbox serve"');
  }

  if (command === 'sandbox') {
    const [sub, ...extra] = rest;
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
      const { runSandboxClock } = await import('./commands/sandbox.js');
      return runSandboxClock({
        json: flags.json,
        ...(advanceSeconds !== undefined ? { advanceSeconds } : {}),
        ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
        ...(flags.state ? { state: flags.state } : {}),
      });
    }
    if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
    if (sub === 'serve') {
      const port = wholeNumber('port', flags.port);
      const largeEstate = wholeNumber('large-estate', flags.largeEstate);
      if (port instanceof Error) return usage(port.message);
      if (largeEstate instanceof Error) return usage(largeEstate.message);
      if (port !== undefined && port > 65535) return usage(`--port must be 0–65535, not ${port}`);
      const { runSandboxServe } = await import('./commands/sandbox.js');
      return runSandboxServe({
        ...(port !== undefined ? { port } : {}),
        ...(flags.state ? { state: flags.state } : {}),
        ...(largeEstate ? { largeEstate } : {}),
        ...(quotaScale !== undefined ? { quotaScale } : {}),
      });
    }
    if (sub === 'reset') {
      if (quotaScale !== undefined) return usage('--quota-scale only goes with --sandbox or "sandbox serve"');
      const { runSandboxReset } = await import('./commands/sandbox.js');
      return runSandboxReset({ yes: flags.yes, ...(flags.state ? { state: flags.state } : {}) });
    }
    return usage(sub ? `unknown sandbox command "${sub}" (serve, reset, clock)${didYouMean(sub, ['serve', 'reset', 'clock'])}` : 'sandbox needs a command: serve, reset or clock');
  }

  const changeCommand = command === 'rotation' || command === 'grants' || command === 'key';
  let change: { request: import('./domain/actions.js').ActionRequest; key: string } | undefined;
  if (changeCommand) {
    const { parseChange } = await import('./commands/change.js');
    const parsed = parseChange(cli.input, { period: flags.period });
    if (!parsed.ok) return usage(parsed.message);
    change = parsed;
  } else if (flags.period !== undefined) {
    return usage('--period only goes with "rotation enable"');
  }
  const retireFlags = {
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
  };
  let retire: Extract<import('./commands/retire.js').RetireParse, { ok: true }> | undefined;
  if (command === 'retire') {
    const { parseRetire } = await import('./commands/retire.js');
    const parsed = parseRetire(cli.input, retireFlags);
    if (!parsed.ok) return usage(parsed.message);
    retire = parsed;
  }
  if (command === 'retirements' && rest.length > 0) return usage(`unexpected argument "${rest[0]}"`);
  const { parseThresholdFlags } = await import('./app/config.js');
  const thresholdFlags = parseThresholdFlags({
    unusedDays: flags.unusedDays,
    disabledDays: flags.disabledDays,
    recentUseDays: flags.recentUseDays,
    maxRotationDays: flags.maxRotationDays,
    adminRoles: flags.adminRoles,
  });
  if (!thresholdFlags.ok) return usage(thresholdFlags.message);
  const hasThresholdFlags = Object.keys(thresholdFlags.overrides).length > 0;
  if (hasThresholdFlags && command !== 'report' && command !== undefined) {
    return usage('--unused-days, --disabled-days, --recent-use-days, --max-rotation-days and --admin-roles only go with "report" or the interactive view');
  }
  let reportOptions: import('./commands/report.js').ReportOptions | undefined;
  if (command === 'report') {
    if (rest.length !== 1) return usage('report needs exactly one key: an alias name, key id or key ARN');
    if (flags.cloudtrailDir !== undefined) return usage('--cloudtrail-dir only goes with "usage"');
    const { parseReportFlags } = await import('./commands/report.js');
    const parsed = parseReportFlags({ format: flags.format, days: flags.days, json: flags.json });
    if (!parsed.ok) return usage(parsed.message);
    reportOptions = { ...parsed.options, thresholds: thresholdFlags.overrides };
  } else if (flags.format !== undefined) {
    return usage('--format only goes with "report"');
  }
  let usageOptions: import('./commands/usage.js').UsageOptions | undefined;
  if (command === 'usage') {
    if (rest.length !== 1) return usage('usage needs exactly one key: an alias name, key id or key ARN');
    const { parseUsageFlags } = await import('./commands/usage.js');
    const parsed = parseUsageFlags({ days: flags.days, cloudtrailDir: flags.cloudtrailDir, json: flags.json });
    if (!parsed.ok) return usage(parsed.message);
    usageOptions = parsed.options;
  } else if (command !== 'report' && (flags.days !== undefined || flags.cloudtrailDir !== undefined)) {
    return usage('--days and --cloudtrail-dir only go with "usage" (and --days with "report")');
  }
  if (command === 'journal') {
    if (rest.length > 0) return usage(`unexpected argument "${rest[0]}"`);
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
  if (command !== undefined && command !== 'list' && command !== 'show' && command !== 'retire' && command !== 'retirements' && command !== 'usage' && command !== 'report' && !changeCommand) {
    return usage(`unknown command "${command}"${didYouMean(command, COMMANDS)}`);
  }
  if (command === 'show' && rest.length !== 1) return usage('show needs exactly one key: an alias name, key id or key ARN');
  if (command === 'list' && rest.length > 0) return usage(`unexpected argument "${rest[0]}"`);
  if (!flags.lastUse && command !== 'list') return usage('--no-last-use only goes with "list"');
  if (!flags.clipboard && command !== undefined) return usage('--no-clipboard only goes with the interactive view (keywarden without a command)');
  if (command === undefined && (!process.stdin.isTTY || !process.stdout.isTTY)) {
    printError(
      'the interactive view needs a terminal. For scripts and pipes use JSON:\n' +
        '  keywarden list --json          every key\n' +
        '  keywarden show KEY --json      one key',
    );
    return 2;
  }

  const connectFlags = { ...connectFlagsFrom(flags), ...(quotaScale !== undefined ? { sandboxQuotaScale: quotaScale } : {}) };
  if (command === undefined) {
    // The interactive view draws its first frame before the SDK and the sandbox load (commands/tui.tsx).
    const { runTui } = await import('./commands/tui.js');
    return runTui(connectFlags, thresholdFlags.overrides, { clipboard: flags.clipboard });
  }
  const { connect } = await import('./app/connect.js');
  const connection = await connect(connectFlags);
  try {
    // Fail early, in words, when there are no credentials (before any screen is drawn).
    await connection.clients.sts().config.credentials();
    if (command === 'list') {
      const { runList } = await import('./commands/inventory.js');
      return await runList(connection, { json: flags.json, all: flags.all, lastUse: flags.lastUse });
    }
    if (command === 'usage' && usageOptions) {
      const { runUsage } = await import('./commands/usage.js');
      return await runUsage(connection, rest[0]!, usageOptions);
    }
    if (command === 'report' && reportOptions) {
      const { runReport } = await import('./commands/report.js');
      return await runReport(connection, rest[0]!, reportOptions);
    }
    if (retire) {
      const { runRetire } = await import('./commands/retire.js');
      return await runRetire(connection, retire, retireFlags);
    }
    if (command === 'retirements') {
      const { runRetirementsList } = await import('./commands/retire.js');
      return await runRetirementsList(connection, { json: flags.json });
    }
    if (change) {
      const { runChange } = await import('./commands/change.js');
      return await runChange(connection, change, { json: flags.json, yes: flags.yes });
    }
    if (command === 'show') {
      const { runShow } = await import('./commands/inventory.js');
      return await runShow(connection, rest[0]!, { json: flags.json });
    }
    return 2; // not reached: every command is handled above
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    const [{ printError }, { toDomainError }] = await Promise.all([import('./commands/output.js'), import('./aws/errors.js')]);
    const domain = toDomainError(error);
    printError(domain.message);
    // A change asked for without its confirmation is a usage error, like a wrong flag.
    // So is a region, endpoint or profile that cannot be used (nothing was sent).
    process.exitCode = domain.kind === 'confirmation' || domain.kind === 'usage' ? 2 : 1;
  },
);
