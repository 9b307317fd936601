// Text from AWS (aliases, descriptions, tags, policies, principals, encryption contexts) is
// untrusted: it may carry terminal control sequences that move the cursor, rewrite the
// screen, set the clipboard (OSC 52) or reorder text (bidi overrides). Everything shown in
// the terminal passes through cleanText() first; JSON output keeps the original bytes.

// ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC
// (ESC P/X/^/_ … ST), and two-byte escapes.
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b[@-Z\\-_]|\u001b/g;
// 8-bit C1 forms of the same introducers (CSI 0x9b, OSC 0x9d, DCS 0x90 …).
// eslint-disable-next-line no-control-regex
const C1_SEQUENCE = /\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u009c]*(?:\u0007|\u009c)?|[\u0080-\u009f]/g;
// Bidirectional overrides and isolates (Trojan Source), and other invisible format characters
// that hide or join text: zero-width space/non-joiner/joiner, word joiner and the other
// invisible operators, the byte-order mark / zero-width no-break space, soft hyphen, Mongolian
// vowel separator, the line and paragraph separators (U+2028, U+2029: a terminal may break the
// line at them), and the interlinear annotation and tag characters.
const BIDI = /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;

/**
 * Makes untrusted text inert for a terminal: removes escape sequences, C0/C1 controls and
 * bidi controls. Newlines and tabs become visible as `␤` / a space when `singleLine`,
 * otherwise newlines are kept and other controls shown as `�`-free removal.
 */
export function cleanText(text: string, options: { singleLine?: boolean } = {}): string {
  let out = text.replace(ESCAPE_SEQUENCE, '').replace(C1_SEQUENCE, '').replace(BIDI, '');
  out = out.replace(/\t/g, ' ');
  if (options.singleLine ?? true) out = out.replace(/\r\n|\r|\n/g, '␤');
  else out = out.replace(/\r\n?/g, '\n');
  // Any C0 control left (BEL, backspace, NUL, vertical tab …) except newline.
  // eslint-disable-next-line no-control-regex
  return out.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

// Credentials must never reach a message, a log or the journal, even when an error echoes them
// back (an SDK error quoting a header, a signed URL, a credentials-file parse error).
const SECRET_ASSIGNMENT = /((?:aws_)?(?:secret_?access_?key|session_?token|security_?token|secretaccesskey|sessiontoken)["']?\s*[:=]\s*["']?)[^\s"'&,;]+/gi;
const SIGNED_QUERY = /([?&](?:X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential)=)[^&\s"']+/gi;
const AUTH_SIGNATURE = /(Signature=)[0-9a-f]{64}/gi;
// A secret access key: 40 characters of base64 with both cases and a digit (a lowercase hex digest is not one).
const SECRET_KEY_SHAPE = /(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=]))(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
// A session token: a long base64 run (AWS's start IQoJb3JpZ2luX2Vj / FwoGZXIvYXdz and run to hundreds of characters).
const SESSION_TOKEN_SHAPE = /(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz)[A-Za-z0-9/+=]*|[A-Za-z0-9/+]{100,}={0,2}/g;

/**
 * Masks anything shaped like an AWS secret: secret access keys, session tokens, signatures in
 * signed URLs or Authorization headers, `secret=…` assignments, and the exact `known` values
 * (the configured secret key and session token). Access key ids (AKIA…/ASIA…) are kept: they
 * identify, they do not authenticate.
 */
export function redactSecrets(text: string, known: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of known) {
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(SECRET_ASSIGNMENT, '$1[redacted]')
    .replace(SIGNED_QUERY, '$1[redacted]')
    .replace(AUTH_SIGNATURE, '$1[redacted]')
    .replace(SESSION_TOKEN_SHAPE, '[redacted]')
    .replace(SECRET_KEY_SHAPE, '[redacted]');
}
