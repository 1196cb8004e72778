/** The `code` of a Node system error ('ENOSPC', 'EEXIST', …); undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
