// What uploaded bytes really are, from their first bytes: a declared Content-Type is the sender's
// claim, and a "video" that is really HTML (or a "PNG" that is really a script) must never be stored
// and later served from our origin.

/** The video type of these first bytes (EBML header → WebM; an ISO-BMFF `ftyp` box → MP4), or null. */
export function sniffVideo(head: Uint8Array): 'video/webm' | 'video/mp4' | null {
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    return 'video/webm';
  }
  if (head.length >= 8 && ascii(head, 4, 8) === 'ftyp') return 'video/mp4';
  return null;
}

/** The image type of these first bytes (PNG, JPEG, WebP), or null. */
export function sniffImage(head: Uint8Array): 'image/png' | 'image/jpeg' | 'image/webp' | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((byte, i) => head[i] === byte)) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
