// The operations keywarden sends that only read, named one by one. In read-only mode every
// other operation is refused inside the client before it is sent — also one whose name looks
// like a read: AWS has "Get…"/"Describe…" operations that change state (CloudWatch Logs
// StartQuery-style side effects, KMS's GenerateDataKey …), so a prefix rule is not a safe
// test. A new read keywarden starts to call must be added here (a test scans src/aws for every
// command keywarden constructs and fails until each is classified).

export const READ_OPERATIONS: ReadonlySet<string> = new Set([
  // KMS
  'DescribeKey',
  'ListKeys',
  'ListAliases',
  'ListResourceTags',
  'ListGrants',
  'ListRetirableGrants',
  'ListKeyPolicies',
  'ListKeyRotations',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'GetKeyLastUsage',
  // STS (AssumeRole changes nothing in an account: it makes a session, --org's way in)
  'GetCallerIdentity',
  'AssumeRole',
  // Organizations (--org)
  'DescribeOrganization',
  'ListAccounts',
  'ListRoots',
  'ListAccountsForParent',
  'ListOrganizationalUnitsForParent',
  // CloudTrail
  'LookupEvents',
  'DescribeTrails',
  'GetTrailStatus',
  'GetEventSelectors',
  'GetTrail',
  'ListTrails',
  // CloudWatch Logs
  'DescribeLogGroups',
  'DescribeLogStreams',
  'DescribeMetricFilters',
  'TestMetricFilter',
  'FilterLogEvents',
  // Logs Insights: a query reads the log group (billed by the bytes it scans) and changes no
  // resource; StopQuery ends keywarden's own query.
  'StartQuery',
  'GetQueryResults',
  'StopQuery',
  'DescribeQueries',
  // CloudWatch
  'DescribeAlarms',
  'DescribeAlarmHistory',
  'GetMetricData',
  'GetMetricStatistics',
  'ListMetrics',
  // S3 (a trail's bucket)
  'ListObjectsV2',
  'GetObject',
  // EC2 (--all-regions)
  'DescribeRegions',
]);

export function isReadOperation(operation: string): boolean {
  return READ_OPERATIONS.has(operation);
}
