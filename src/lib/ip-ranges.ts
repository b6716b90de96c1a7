import { isIP } from 'node:net';

// Classifies IP addresses for outbound fetches of untrusted URLs (SECURITY.md S25). IPv4 uses a
// deny list of special-purpose ranges (RFC 6890 and the IANA special-purpose registry); IPv6 uses
// an allow list (only global unicast 2000::/3, minus its special-purpose blocks), because the
// unallocated remainder of the IPv6 space should never be a legitimate fetch target.

type Cidr = readonly [prefix: readonly number[], bits: number];

const BLOCKED_V4: readonly Cidr[] = [
  [[0, 0, 0, 0], 8], // "this network", includes the unspecified 0.0.0.0
  [[10, 0, 0, 0], 8], // private (RFC 1918)
  [[100, 64, 0, 0], 10], // carrier-grade NAT (RFC 6598)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, where cloud metadata services live
  [[172, 16, 0, 0], 12], // private (RFC 1918)
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation TEST-NET-1
  [[192, 88, 99, 0], 24], // deprecated 6to4 relay anycast (RFC 7526)
  [[192, 168, 0, 0], 16], // private (RFC 1918)
  [[198, 18, 0, 0], 15], // benchmarking (RFC 2544)
  [[198, 51, 100, 0], 24], // documentation TEST-NET-2
  [[203, 0, 113, 0], 24], // documentation TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, includes the limited broadcast 255.255.255.255
];

// Special-purpose blocks inside 2000::/3 that are not ordinary global unicast.
const BLOCKED_V6_GLOBAL: readonly Cidr[] = [
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID …)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation (RFC 3849)
  [[0x3f, 0xff, 0x00, 0x00], 20], // documentation (RFC 9637)
];

const NAT64_WELL_KNOWN: Cidr = [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96]; // RFC 6052
const NAT64_LOCAL: Cidr = [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48]; // RFC 8215, network-specific
const SIX_TO_FOUR: Cidr = [[0x20, 0x02], 16]; // RFC 3056, embeds an IPv4 address in bits 16–47
const IPV4_MAPPED: Cidr = [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96];
const IPV4_COMPATIBLE: Cidr = [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96]; // deprecated, also :: and ::1

/** Returns true only for a syntactically valid IP address that is safe to fetch from the public internet. */
export function isPublicAddress(ip: string): boolean {
  const version = isIP(ip);
  if (version === 4) return isPublicV4(parseV4(ip));
  if (version === 6) return isPublicV6(parseV6(ip));
  return false;
}

function isPublicV4(bytes: readonly number[]): boolean {
  return !BLOCKED_V4.some((cidr) => matches(bytes, cidr));
}

function isPublicV6(bytes: readonly number[]): boolean {
  // Addresses that carry an IPv4 address reach that IPv4 host, so they inherit its classification.
  if (matches(bytes, IPV4_MAPPED) || matches(bytes, NAT64_WELL_KNOWN)) return isPublicV4(bytes.slice(12));
  if (matches(bytes, SIX_TO_FOUR)) return isPublicV4(bytes.slice(2, 6));
  // IPv4-compatible addresses are deprecated (RFC 4291 §2.5.5.1) and never routed publicly; this
  // also covers the unspecified address :: and the loopback ::1.
  if (matches(bytes, IPV4_COMPATIBLE)) return false;
  if (matches(bytes, NAT64_LOCAL)) return false;
  // Everything outside global unicast 2000::/3 is local, multicast, reserved or unallocated:
  // fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64 and the rest.
  if (((bytes[0] ?? 0) & 0xe0) !== 0x20) return false;
  return !BLOCKED_V6_GLOBAL.some((cidr) => matches(bytes, cidr));
}

function matches(bytes: readonly number[], [prefix, bits]: Cidr): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const index = bit / 8;
    const width = Math.min(8, bits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

// Callers have already checked the syntax with isIP, so these parsers only split.
function parseV4(ip: string): number[] {
  return ip.split('.').map(Number);
}

function parseV6(ip: string): number[] {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two hextets.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = parseV4(tail);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const groups = rest === undefined ? headGroups : [...headGroups, ...zeros, ...restGroups];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}
