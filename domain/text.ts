/**
 * Text from alerts (summaries, labels, service names) and from people (notes, names) is data, never markup:
 * one function per place it is shown. Pure and dependency-free, so workflows, activities and the CLI share it.
 */

/**
 * Escape sequences a terminal or log viewer would act on: CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`, e.g.
 * hyperlinks and window titles), DCS/APC/PM/SOS strings, and two-byte escapes. Their 8-bit C1 forms too.
 */
const TERMINAL_ESCAPES =
  // eslint-disable-next-line no-control-regex
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\]P^_X]|[\x90\x9d\x9e\x9f\x98])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?/g;
/** C0 and C1 controls (newlines and tabs included: every sink here is one line), DEL. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;
/**
 * Characters that change how the rest of a line reads without being seen: bidirectional overrides and
 * isolates (the "Trojan Source" trick), zero-width joiners and spaces, the line and paragraph separators.
 */
const INVISIBLE_FORMATTING = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Plain printable text on one line, at most `max` characters (an ellipsis marks a cut). */
export function plainText(value: unknown, max = 2000): string {
  const text = String(value ?? '')
    .replace(TERMINAL_ESCAPES, '')
    .replace(CONTROLS, ' ')
    .replace(INVISIBLE_FORMATTING, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (text.length <= max) return text;
  // Never cut a surrogate pair in half.
  const cut = /[\ud800-\udbff]/.test(text[max - 2] ?? '') ? max - 2 : max - 1;
  return `${text.slice(0, cut)}…`;
}

/**
 * For Slack `mrkdwn` and `plain_text`: Slack's three control characters escaped, as its formatting guide asks,
 * so `<!channel>`, `<@U123>` and `<https://x|Approve>` in an alert stay text and mention or link nobody.
 */
export function slackText(value: unknown, max = 2000): string {
  return plainText(value, max).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * For HTML text and attribute values, and XML (the status page and its Atom feed): the five characters that
 * could end a text or an attribute escaped, so nothing from it becomes a tag, an attribute or an entity.
 */
export function markupText(value: unknown, max = 2000): string {
  return plainText(value, max)
    .replace(/[\ufffe\uffff]/g, '') // not characters XML may hold
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** CommonMark punctuation that can open or close a construct mid-line (emphasis, links, code, HTML, tables). */
const MARKDOWN_SPECIALS = /[\\`*_[\]<>|#~!&$]/g;

/**
 * For Markdown (the review file, the Temporal UI's details): one line, each special character escaped with a
 * backslash, so a summary cannot add a heading, a link, an image, HTML or a table cell.
 */
export function markdownText(value: unknown, max = 2000): string {
  return plainText(value, max).replace(MARKDOWN_SPECIALS, (c) => `\\${c}`);
}

/** For terminals: printable text only. */
export function terminalText(value: unknown, max = 2000): string {
  return plainText(value, max);
}

/**
 * For a Keyword search attribute: Temporal refuses values over 2 KB (the workflow task would fail, retried
 * forever). 200 characters of printable text stay well inside it in any encoding.
 */
export const SEARCH_ATTRIBUTE_MAX_CHARS = 200;
export function searchAttributeText(value: unknown): string {
  return plainText(value, SEARCH_ATTRIBUTE_MAX_CHARS);
}
