// Prints the key-binding tables for README.md from the keymap registry (run after `npm run build`):
//   node scripts/readme-keys.mjs
// src/ui/keymap-readme.test.ts checks that README.md lists every binding and every command.
const { helpSections } = await import('../dist/ui/keymap.js');
const out = [];
for (const section of helpSections()) {
  out.push(`**${section.title}**`, '', '| keys | what it does |', '|---|---|');
  for (const e of section.entries) out.push(`| ${e.keys.replace(/\|/g, '\\|')} | ${e.description}${e.dangerous ? ' — hidden with `--read-only`' : ''} |`);
  out.push('');
}
const { commandLineHelp } = await import('../dist/ui/command-line.js');
out.push('**Commands (after :, by any prefix that names one)**', '', '| command | what it does |', '|---|---|');
for (const c of commandLineHelp()) out.push(`| ${c.names.replace(/\|/g, '\\|')} | ${c.description} |`);
out.push('');
process.stdout.write(`${out.join('\n')}\n`);
