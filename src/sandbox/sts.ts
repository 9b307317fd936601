// STS (awsQuery): GetCallerIdentity, enough for keywarden's header.

import { xmlEscape, type QueryService } from './protocol.js';

export const stsService: QueryService = {
  name: 'sts',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  operations: {
    GetCallerIdentity: (ctx) =>
      `<Arn>${xmlEscape(ctx.caller.arn)}</Arn><UserId>${xmlEscape(ctx.caller.userId)}</UserId><Account>${xmlEscape(ctx.caller.account)}</Account>`,
  },
};
