// With several accounts (--org, --profiles) a command about one key is told which account the key
// is in by its ARN (a key ARN or an alias ARN names the account); an alias name or a key id does not.
// KMS says the same: "To specify a KMS key in a different AWS account, you must use the key ARN or
// alias ARN" (DescribeKey, KeyId; https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).

const ACCOUNT_IN_ARN = /^arn:aws[\w-]*:kms:[^:]*:(\d{12}):(?:key|alias)\/./;

/** The account a key ARN or alias ARN names; undefined for an alias name, a key id or anything else. */
export function accountOfKeyRef(ref: string): string | undefined {
  return ACCOUNT_IN_ARN.exec(ref.trim())?.[1];
}

/** Why a key that is not named by its ARN cannot be used with several accounts (a usage error). */
export function keyArnNeeded(ref: string): string {
  return `with several accounts, name the key by its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): "${ref}" does not say which account it is in`;
}
