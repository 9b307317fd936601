// The AWS CLI command that reads what a key-detail tab shows, for an operator to paste into a
// shell or a ticket (`Y` on the key detail copies it). Command and option names from the AWS CLI
// v2 reference (https://docs.aws.amazon.com/cli/latest/reference/kms/ and …/cloudtrail/lookup-events):
// list-grants filters by --grant-id; get-key-policy's --policy-name is "default", the only name.

import { cleanText } from './sanitize.js';

export type CliTab = 'overview' | 'rotation' | 'grants' | 'policy' | 'usage' | 'findings';

/** One shell word: as it is when it is made of safe characters, else single-quoted. */
export function shellWord(text: string): string {
  const clean = cleanText(text, { singleLine: true });
  return /^[A-Za-z0-9_:/.,=@+-]+$/.test(clean) ? clean : `'${clean.replace(/'/g, `'\\''`)}'`;
}

/** `aws kms …` (or `aws cloudtrail …` for Usage) reading what the tab shows for the key; on Grants, the grant under the cursor. */
export function cliCommandFor(tab: CliTab, key: { arn: string; region: string }, grantId?: string): string {
  const keyArgs = `--key-id ${shellWord(key.arn)} --region ${shellWord(key.region)}`;
  switch (tab) {
    case 'overview':
    case 'findings':
      return `aws kms describe-key ${keyArgs}`;
    case 'rotation':
      return `aws kms get-key-rotation-status ${keyArgs}`;
    case 'grants':
      return `aws kms list-grants ${keyArgs}${grantId ? ` --grant-id ${shellWord(grantId)}` : ''}`;
    case 'policy':
      return `aws kms get-key-policy ${keyArgs} --policy-name default --output text`;
    case 'usage':
      return `aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=${shellWord(key.arn)} --region ${shellWord(key.region)}`;
  }
}
