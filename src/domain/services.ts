// Reading which AWS service stands behind a grant or an encryption context (KMS.md §4.3),
// so the operator sees "EBS volume vol-0abc…" instead of a bare map.

export interface ContextMeaning {
  /** The service, in words: "EBS volume", "ECS cluster" … */
  service: string;
  /** The resource it names, e.g. the volume id or the cluster account/name. */
  resource: string;
}

const SINGLE_KEY_MEANINGS: Array<[key: string, service: string]> = [
  ['aws:ebs:id', 'EBS volume'],
  ['aws:imagebuilder:arn', 'Image Builder workflow'],
  ['aws:cloudtrail:arn', 'CloudTrail trail'],
  ['aws:s3:arn', 'S3 object'],
  ['aws:rds:db-id', 'RDS database'],
  ['aws:lambda:FunctionArn', 'Lambda function'],
  ['aws:secretsmanager:arn', 'Secrets Manager secret'],
  ['SecretARN', 'Secrets Manager secret'],
  ['PARAMETER_ARN', 'Parameter Store parameter'],
  ['aws:logs:arn', 'CloudWatch Logs log group'],
  ['aws:sqs:arn', 'SQS queue'],
  ['aws:sns:topicArn', 'SNS topic'],
  ['aws:dynamodb:tableName', 'DynamoDB table'],
  ['aws:acm:arn', 'ACM certificate'],
];

/** What an encryption context points at, when it is a context an AWS service writes. */
export function describeEncryptionContext(context: Record<string, string> | undefined): ContextMeaning | undefined {
  if (!context) return undefined;
  const clusterName = context['aws:ecs:clusterName'];
  const clusterAccount = context['aws:ecs:clusterAccount'];
  if (clusterName !== undefined || clusterAccount !== undefined) {
    const resource = [clusterAccount, clusterName].filter((part) => part !== undefined).join('/');
    return { service: 'ECS cluster (Fargate ephemeral storage)', resource };
  }
  for (const [key, service] of SINGLE_KEY_MEANINGS) {
    const value = context[key];
    if (value !== undefined) return { service, resource: value };
  }
  return undefined;
}

const PRINCIPAL_PATTERNS: Array<[RegExp, (match: RegExpMatchArray) => string]> = [
  [/^arn:aws[\w-]*:sts::\d{12}:assumed-role\/aws:ec2-infrastructure\/(.+)$/, (m) => `EC2 infrastructure (EBS) for ${m[1]}`],
  [/^\d{12}:aws:ec2-infrastructure(?::(.+))?$/, (m) => `EC2 infrastructure (EBS)${m[1] ? ` for ${m[1]}` : ''}`],
  [/^([a-z0-9-]+)(?:\.[a-z0-9-]+)?\.amazonaws\.com$/, (m) => `AWS service ${m[1]}`],
  [/^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/, (m) => `role ${m[2]} (session ${m[3]}, account ${m[1]})`],
  [/^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/, (m) => `role ${m[2]} (account ${m[1]})`],
  [/^arn:aws[\w-]*:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/, (m) => `user ${m[2]} (account ${m[1]})`],
  [/^arn:aws[\w-]*:iam::(\d{12}):root$/, (m) => `account ${m[1]}`],
];

/** A principal ARN or service principal in words ("AWS service fargate", "role Admin …"). */
export function describePrincipal(principal: string | undefined): string {
  if (!principal) return '—';
  for (const [pattern, render] of PRINCIPAL_PATTERNS) {
    const match = principal.match(pattern);
    if (match) return render(match);
  }
  return principal;
}

/** True for service principals such as `fargate.amazonaws.com` or `acm.us-east-1.amazonaws.com`. */
export function isServicePrincipal(principal: string | undefined): boolean {
  return principal !== undefined && /\.amazonaws\.com$/.test(principal);
}
