// How CloudTrail hands its records to CloudWatch Logs inside the sandbox: the trail's
// delivery calls the sink; the Logs service stores the events, runs metric filters on them
// and emits metric datapoints. Until a Logs service is wired in, delivery goes nowhere.

export interface LogEventInput {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

export interface LogDelivery {
  region: string;
  logGroupName: string;
  logStreamName: string;
  events: LogEventInput[];
}

export type LogSink = (delivery: LogDelivery) => void;

export const discardLogs: LogSink = () => undefined;
