//! Client addresses as the access log keeps them.
//!
//! With `privacy.truncate_ip` (the default) an address is shortened before it is
//! written: IPv4 to its /24 (the last octet zeroed), IPv6 to its /48 (the last 80
//! bits zeroed). That still tells an operator which network a burst of requests
//! came from, which is what abuse handling needs, without naming a household or a
//! device. An IPv4 address carried in IPv6 (`::ffff:a.b.c.d`) is treated as IPv4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `ip` with its host part zeroed: IPv4 to /24, IPv6 to /48.
pub fn truncate(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(truncate_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(truncate_v4(v4)),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        },
    }
}

fn truncate_v4(ip: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, _] = ip.octets();
    Ipv4Addr::new(a, b, c, 0)
}

/// The address as the access log stores it, truncated when `truncate` is set.
pub fn for_log(ip: IpAddr, truncate: bool) -> String {
    if truncate { self::truncate(ip).to_string() } else { ip.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> String {
        truncate(text.parse().unwrap()).to_string()
    }

    #[test]
    fn ipv4_keeps_its_slash_24() {
        assert_eq!(t("203.0.113.77"), "203.0.113.0");
        assert_eq!(t("127.0.0.1"), "127.0.0.0");
        assert_eq!(t("10.1.2.0"), "10.1.2.0");
        assert_eq!(t("255.255.255.255"), "255.255.255.0");
    }

    #[test]
    fn ipv6_keeps_its_slash_48() {
        assert_eq!(t("2001:db8:abcd:12:3456:789a:bcde:f012"), "2001:db8:abcd::");
        assert_eq!(t("::1"), "::");
        assert_eq!(t("fe80::1"), "fe80::");
    }

    #[test]
    fn mapped_ipv4_is_truncated_as_ipv4() {
        assert_eq!(t("::ffff:198.51.100.9"), "198.51.100.0");
    }

    #[test]
    fn the_switch_keeps_the_full_address() {
        let ip: IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(for_log(ip, false), "198.51.100.9");
        assert_eq!(for_log(ip, true), "198.51.100.0");
    }
}
