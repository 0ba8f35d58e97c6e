//! Which network addresses a webhook may be delivered to.
//!
//! Webhook URLs are chosen by users, so a service that posts to them without a check
//! can be made to reach its own internal network (server-side request forgery). The
//! check is made on the addresses a host name resolves to, at connection time, so a
//! name that resolves to an internal address is refused too, and DNS rebinding
//! between a check and the connection is impossible: the connection uses exactly the
//! addresses that were checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which destinations a [`Sender`](crate::Sender) may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Only globally routable unicast addresses ([`is_public`]); the setting for a
    /// service whose users choose the URLs.
    PublicOnly,
    /// Any address, including loopback and private networks: for tests, and for
    /// self-hosters whose webhook receivers live on their own network.
    AllowPrivate,
}

impl AddressPolicy {
    /// Whether this policy lets a connection go to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            AddressPolicy::PublicOnly => is_public(ip),
            AddressPolicy::AllowPrivate => true,
        }
    }
}

/// Whether `ip` is a globally routable unicast address.
///
/// Refused: unspecified, loopback, private (RFC 1918), shared/CGNAT (100.64/10),
/// link-local, multicast, broadcast, documentation, benchmarking, the IETF protocol
/// block (192.0.0/24) and the reserved 240/4; for IPv6 also unique local (fc00::/7),
/// site-local (fec0::/10), Teredo (2001::/32), the ORCHID and documentation blocks, and
/// every form that carries an IPv4 address (mapped, compatible, NAT64, 6to4), which is
/// judged by the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                  // "this network"
        || a == 10                                        // private
        || a == 127                                       // loopback
        || (a == 100 && (64..128).contains(&b))           // shared address space (CGNAT)
        || (a == 169 && b == 254)                         // link-local
        || (a == 172 && (16..32).contains(&b))            // private
        || (a == 192 && b == 0 && c == 0)                 // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                 // documentation
        || (a == 192 && b == 88 && c == 99)               // 6to4 relay anycast
        || (a == 192 && b == 168)                         // private
        || (a == 198 && (18..20).contains(&b))            // benchmarking
        || (a == 198 && b == 51 && c == 100)              // documentation
        || (a == 203 && b == 0 && c == 113)               // documentation
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let octets = ip.octets();
    let embedded_v4 =
        |start: usize| Ipv4Addr::new(octets[start], octets[start + 1], octets[start + 2], octets[start + 3]);
    if ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d.
    if segments[..5] == [0; 5] && (segments[5] == 0xffff || segments[5] == 0) {
        return is_public_v4(embedded_v4(12));
    }
    // NAT64 64:ff9b::/96 translates to the IPv4 address in the last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(12));
    }
    // 6to4 2002::/16 carries an IPv4 address in bits 16..48.
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(2));
    }
    let refused = (segments[0] & 0xfe00) == 0xfc00         // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80                // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0                // site-local fec0::/10
        || (segments[0] & 0xff00) == 0xff00                // multicast ff00::/8
        || (segments[0] == 0x2001 && segments[1] == 0)     // Teredo 2001::/32
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && (segments[1] & 0xfff0) == 0x0010) // ORCHID
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only 100::/64
        || segments[0] == 0; // rest of ::/16 (reserved)
    !refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().expect("an address"))
    }

    #[test]
    fn refuses_internal_addresses() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.9.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.5",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:0a00:0001::1",
            "2002:7f00:0001::1",
            "2001:db8::1",
            "2001::1",
            "2001:10::1",
            "100::1",
        ] {
            assert!(!public(ip), "{ip} was allowed");
        }
    }

    #[test]
    fn allows_global_unicast() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.0.1",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(public(ip), "{ip} was refused");
        }
    }

    #[test]
    fn allow_private_allows_everything() {
        assert!(AddressPolicy::AllowPrivate.allows("127.0.0.1".parse().expect("ip")));
        assert!(!AddressPolicy::PublicOnly.allows("127.0.0.1".parse().expect("ip")));
    }
}
