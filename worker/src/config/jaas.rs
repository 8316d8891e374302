//! JAAS configuration text, as in Java's login configuration files and in the inline `sasl.jaas.config` setting:
//! `Name { module.Class flag key="value" ...; ... };` entries.

use std::collections::BTreeMap;

/// One login module line of a JAAS entry.
#[derive(Debug, PartialEq)]
pub struct LoginModule {
    pub class: String,
    pub flag: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Symbol(char),
}

/// Splits JAAS text into words, quoted strings and `{ } ; =`; `//` and `/* */` comments are skipped.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                loop {
                    match chars.next() {
                        Some('/') if previous == '*' => break,
                        Some(c) => previous = c,
                        None => return Err("unterminated /* comment".into()),
                    }
                }
            }
            '{' | '}' | ';' | '=' => out.push(Token::Symbol(c)),
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => s.extend(chars.next()),
                        Some(c) => s.push(c),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
                out.push(Token::Quoted(s));
            }
            c => {
                let mut s = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || "{};=\"".contains(n) {
                        break;
                    }
                    s.push(n);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

/// Parses a JAAS configuration: `Name { module.Class flag key="value" ...; ... };` entries, in file order.
pub fn parse_jaas(text: &str) -> Result<Vec<(String, Vec<LoginModule>)>, String> {
    let mut tokens = tokens(text)?.into_iter().peekable();
    let mut entries = Vec::new();
    let word = |t: Option<Token>, what: &str| match t {
        Some(Token::Word(w)) => Ok(w),
        other => Err(format!("expected {what}, found {other:?}")),
    };
    let symbol = |t: Option<Token>, s: char| match t {
        Some(Token::Symbol(c)) if c == s => Ok(()),
        other => Err(format!("expected `{s}`, found {other:?}")),
    };
    while tokens.peek().is_some() {
        let name = word(tokens.next(), "an entry name")?;
        symbol(tokens.next(), '{')?;
        let mut modules = Vec::new();
        while tokens.peek() != Some(&Token::Symbol('}')) {
            let class = word(tokens.next(), "a login module class or `}`")?;
            let flag = word(tokens.next(), "a control flag")?;
            if !["required", "requisite", "sufficient", "optional"]
                .iter()
                .any(|f| flag.eq_ignore_ascii_case(f))
            {
                return Err(format!("{class}: invalid control flag {flag}"));
            }
            let mut options = BTreeMap::new();
            loop {
                match tokens.next() {
                    Some(Token::Symbol(';')) => break,
                    Some(Token::Word(key)) => {
                        symbol(tokens.next(), '=')?;
                        let value = match tokens.next() {
                            Some(Token::Quoted(v) | Token::Word(v)) => v,
                            other => {
                                return Err(format!("{key}: expected a value, found {other:?}"))
                            }
                        };
                        options.insert(key, value);
                    }
                    other => {
                        return Err(format!(
                            "{class}: expected an option or `;`, found {other:?}"
                        ))
                    }
                }
            }
            modules.push(LoginModule {
                class,
                flag,
                options,
            });
        }
        symbol(tokens.next(), '}')?;
        symbol(tokens.next(), ';')?;
        entries.push((name, modules));
    }
    Ok(entries)
}
