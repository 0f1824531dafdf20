// What a caught value says: the one way every layer turns an unknown thrown value into a message.

/** An Error's message, or the thrown value as a string; cut to `maxChars` when given. */
export function errorMessage(error: unknown, maxChars?: number): string {
  const message = error instanceof Error ? error.message : String(error);
  return maxChars !== undefined && message.length > maxChars ? message.slice(0, maxChars) : message;
}
