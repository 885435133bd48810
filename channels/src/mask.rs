/// Masks a phone number or email address for logs, so that logs can
/// correlate messages without holding debtors' personal data:
/// `+525512345678` → `+52******5678`, `juan@example.com` → `j***@example.com`.
pub fn mask_address(address: &str) -> String {
    let address = address.trim();
    if let Some((local, domain)) = address.rsplit_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = address.chars().collect();
    let (prefix, rest) = if chars.first() == Some(&'+') {
        (&chars[..1.min(chars.len())], &chars[1..])
    } else {
        (&chars[..0], &chars[..])
    };
    // Keep the country code (2 digits) and the last 4 only when enough
    // digits remain hidden to make the number unguessable.
    if rest.len() < 9 {
        return format!(
            "{}{}",
            prefix.iter().collect::<String>(),
            "*".repeat(rest.len())
        );
    }
    let head: String = rest[..2].iter().collect();
    let tail: String = rest[rest.len() - 4..].iter().collect();
    format!(
        "{}{head}{}{tail}",
        prefix.iter().collect::<String>(),
        "*".repeat(rest.len() - 6)
    )
}

#[cfg(test)]
mod tests {
    use super::mask_address;

    #[test]
    fn masks_phones_and_emails() {
        assert_eq!(mask_address("+525512345678"), "+52******5678");
        assert_eq!(mask_address("juan.perez@example.com"), "j***@example.com");
        assert_eq!(mask_address("@example.com"), "***@example.com");
        assert_eq!(mask_address("+1234"), "+****");
        assert_eq!(mask_address(""), "");
        assert_eq!(mask_address("ñandú@correo.mx"), "ñ***@correo.mx");
    }
}
