/** Decodes base64 (as the support bundle arrives over JSON) into bytes. */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Saves bytes as a file through a temporary blob: link (a browser download; in Electron, main
 * shows the save dialog). The object URL is released once the click has been handled.
 */
export function saveBytes(fileName: string, bytes: Uint8Array<ArrayBuffer>, type: string, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
