/**
 * How option-validation messages show the value they refuse.
 */

/** A short description of a value for messages (never throws, unlike `String(Object.create(null))`). */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return `\`${text}\` (${value === null ? 'null' : typeof value})`;
}

/** "Expected `field` to be …, got `value` (type)": the one shape of option-validation messages. */
export function expected(field: string, what: string, value: unknown): string {
  return `Expected \`${field}\` to be ${what}, got ${describeValue(value)}`;
}
