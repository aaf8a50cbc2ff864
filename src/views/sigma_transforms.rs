//! Value transforms the Sigma mapping needs to rebuild Sysmon 1's fields from other sources
//! (defined in `assets/mappings/sigma.toml`).

/// `0x`-prefixed hex as decimal digits (`0x1180` → `4480`); anything else unchanged.
pub fn hex_to_dec(v: &str) -> String {
    let t = v.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).map_or_else(|_| v.to_string(), |n| n.to_string()),
        None => v.to_string(),
    }
}

/// A mandatory-label SID as Sysmon names the integrity level; anything else unchanged.
pub fn integrity_name(v: &str) -> &str {
    const LEVELS: [(&str, &str); 5] = [
        ("S-1-16-0", "Untrusted"),
        ("S-1-16-4096", "Low"),
        ("S-1-16-8192", "Medium"),
        ("S-1-16-12288", "High"),
        ("S-1-16-16384", "System"),
    ];
    LEVELS
        .iter()
        .find(|(sid, _)| sid.eq_ignore_ascii_case(v.trim()))
        .map_or(v, |(_, name)| name)
}

/// The account of a 4688 event's new process, as Sysmon's `User` shows it, from
/// [TargetUserSid, TargetDomainName, TargetUserName, SubjectUserSid, SubjectDomainName,
/// SubjectUserName]: the target when it names a user, else the subject; the well-known service
/// SIDs by their names; else `DOMAIN\name`.
pub fn user_4688(v: &[String]) -> Option<String> {
    let meaningful = |s: &str| !s.is_empty() && s != "-";
    let get = |i: usize| v.get(i).map(String::as_str).unwrap_or("");
    let target = meaningful(get(2)) && get(0) != "S-1-0-0";
    let (sid, dom, name) = if target {
        (get(0), get(1), get(2))
    } else {
        (get(3), get(4), get(5))
    };
    let well_known = match sid {
        "S-1-5-18" => Some("NT AUTHORITY\\SYSTEM"),
        "S-1-5-19" => Some("NT AUTHORITY\\LOCAL SERVICE"),
        "S-1-5-20" => Some("NT AUTHORITY\\NETWORK SERVICE"),
        _ => None,
    };
    if let Some(w) = well_known {
        return Some(w.to_string());
    }
    if !meaningful(name) {
        return None;
    }
    Some(if meaningful(dom) {
        format!("{dom}\\{name}")
    } else {
        name.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_pids_and_integrity_sids() {
        assert_eq!(hex_to_dec("0x1180"), "4480");
        assert_eq!(hex_to_dec("0X0"), "0");
        assert_eq!(hex_to_dec("4480"), "4480");
        assert_eq!(hex_to_dec("0xzz"), "0xzz");
        assert_eq!(integrity_name("S-1-16-12288"), "High");
        assert_eq!(integrity_name("s-1-16-16384"), "System");
        assert_eq!(integrity_name("S-1-16-8448"), "S-1-16-8448");
        assert_eq!(integrity_name("Medium"), "Medium");
    }

    #[test]
    fn the_new_process_account_of_a_4688_event() {
        let s = |v: [&str; 6]| user_4688(&v.map(String::from));
        // The token did not change: the subject's account.
        assert_eq!(
            s(["S-1-0-0", "-", "-", "S-1-5-21-1", "FIN", "eve"]).unwrap(),
            "FIN\\eve"
        );
        // SYSTEM is named by its SID, not the machine account.
        assert_eq!(
            s(["S-1-0-0", "-", "-", "S-1-5-18", "CORP", "WS01$"]).unwrap(),
            "NT AUTHORITY\\SYSTEM"
        );
        // A new token for another user: the target.
        assert_eq!(
            s(["S-1-5-21-2", "CORP", "adm", "S-1-5-21-1", "FIN", "eve"]).unwrap(),
            "CORP\\adm"
        );
        assert_eq!(s(["", "", "", "", "", "-"]), None);
        assert_eq!(s(["", "", "", "", "-", "bob"]).unwrap(), "bob");
    }
}
