//! Kafka config providers (file, env, dir) and `${alias:path:key}` resolution (`ConfigTransformer`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use regex::{Captures, Regex};

use super::properties::{load_properties, PropertiesError};

/// Worker setting listing the provider aliases.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";

/// Kafka's `ConfigTransformer.DEFAULT_PATTERN`: group 1 alias, group 3 optional path, group 4 key.
const VARIABLE_PATTERN: &str = r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}";

const FILE_PROVIDER: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const ENV_PROVIDER: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
const DIRECTORY_PROVIDER: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

/// File and Directory provider param: comma list of absolute directories that may be read.
const ALLOWED_PATHS_PARAM: &str = "allowed.paths";
/// EnvVar provider param: regex a variable name must fully match.
const ALLOWLIST_PATTERN_PARAM: &str = "allowlist.pattern";

/// Errors from configuring providers or from a provider lookup.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(
        "config provider '{alias}' is listed in {CONFIG_PROVIDERS_CONFIG} but '{key}' is not set"
    )]
    MissingClass { alias: String, key: String },
    #[error("{key}: unknown config provider class '{class}'")]
    UnknownClass { key: String, class: String },
    #[error("{key}: {reason}")]
    InvalidParam { key: String, reason: String },
    #[error("EnvVarConfigProvider does not support a path, got '{0}'")]
    PathNotSupported(String),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Properties(#[from] PropertiesError),
}

/// A source of config values, like Kafka's `ConfigProvider` interface.
pub trait ConfigProvider: Send + Sync {
    /// Returns the values of those `keys` the provider has at `path`; missing keys are absent.
    /// `path` is `None` for the two-part form `${alias:key}`.
    fn get(
        &self,
        path: Option<&str>,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, ProviderError>;
}

/// The worker's configured providers, by alias.
#[derive(Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Box<dyn ConfigProvider>>,
}

impl fmt::Debug for ConfigProviders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigProviders")
            .field("aliases", &self.providers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConfigProviders {
    /// Builds the providers named by `config.providers`, `config.providers.<alias>.class` and
    /// `config.providers.<alias>.param.<k>`.
    pub fn from_worker_config(worker: &BTreeMap<String, String>) -> Result<Self, ProviderError> {
        let mut providers = Self::default();
        let Some(aliases) = worker.get(CONFIG_PROVIDERS_CONFIG) else {
            return Ok(providers);
        };
        for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let class_key = format!("{CONFIG_PROVIDERS_CONFIG}.{alias}.class");
            let class = worker
                .get(&class_key)
                .ok_or_else(|| ProviderError::MissingClass {
                    alias: alias.to_string(),
                    key: class_key.clone(),
                })?
                .trim();
            let param_prefix = format!("{CONFIG_PROVIDERS_CONFIG}.{alias}.param.");
            let params = Params {
                prefix: &param_prefix,
                values: worker
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix(param_prefix.as_str())?, v.as_str())))
                    .collect(),
            };
            let provider: Box<dyn ConfigProvider> = match class {
                FILE_PROVIDER | "FileConfigProvider" => Box::new(FileConfigProvider {
                    allowed: AllowedPaths::from_params(&params)?,
                }),
                DIRECTORY_PROVIDER | "DirectoryConfigProvider" => {
                    Box::new(DirectoryConfigProvider {
                        allowed: AllowedPaths::from_params(&params)?,
                    })
                }
                ENV_PROVIDER | "EnvVarConfigProvider" => {
                    Box::new(EnvVarConfigProvider::from_params(&params)?)
                }
                other => {
                    return Err(ProviderError::UnknownClass {
                        key: class_key,
                        class: other.to_string(),
                    })
                }
            };
            providers.insert(alias, provider);
        }
        Ok(providers)
    }

    /// Adds (or replaces) a provider under `alias`.
    pub fn insert(&mut self, alias: impl Into<String>, provider: Box<dyn ConfigProvider>) {
        self.providers.insert(alias.into(), provider);
    }

    /// True when no provider is configured, so values never change.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Replaces every resolvable `${alias:path:key}` / `${alias:key}`; others stay as written.
    pub fn resolve(&self, value: &str) -> String {
        let found = self.lookup([value]);
        substitute(value, &found)
    }

    /// Resolves all values, asking each provider once per distinct path (like Kafka).
    pub fn resolve_all(&self, config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let found = self.lookup(config.values().map(String::as_str));
        config
            .iter()
            .map(|(key, value)| (key.clone(), substitute(value, &found)))
            .collect()
    }

    /// Fetches the referenced keys from the providers. A failing provider is logged and its
    /// variables stay unresolved.
    fn lookup<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Found<'a> {
        let mut wanted: BTreeMap<(&str, Option<&str>), BTreeSet<&str>> = BTreeMap::new();
        for value in values {
            for caps in variable_regex().captures_iter(value) {
                let var = Variable::from_captures(&caps);
                wanted
                    .entry((var.alias, var.path))
                    .or_default()
                    .insert(var.key);
            }
        }

        let mut found = HashMap::new();
        for ((alias, path), keys) in wanted {
            let Some(provider) = self.providers.get(alias) else {
                continue; // unknown alias: Kafka leaves the variable as written
            };
            let keys: Vec<&str> = keys.into_iter().collect();
            match provider.get(path, &keys) {
                Ok(data) => {
                    found.insert((alias, path), data);
                }
                Err(err) => tracing::warn!(
                    alias,
                    path = path.unwrap_or(""),
                    error = %err,
                    "config provider lookup failed; leaving its variables unresolved"
                ),
            }
        }
        found
    }
}

/// Provider data by (alias, path).
type Found<'a> = HashMap<(&'a str, Option<&'a str>), BTreeMap<String, String>>;

fn variable_regex() -> &'static Regex {
    static REGEX: OnceLock<Regex> = OnceLock::new();
    REGEX.get_or_init(|| {
        Regex::new(VARIABLE_PATTERN).expect("the variable pattern is a valid regex")
    })
}

/// One `${alias:path:key}` match.
struct Variable<'a> {
    alias: &'a str,
    path: Option<&'a str>,
    key: &'a str,
}

impl<'a> Variable<'a> {
    fn from_captures(caps: &Captures<'a>) -> Self {
        let group = |i| caps.get(i).map(|m| m.as_str());
        Variable {
            alias: group(1).unwrap_or(""),
            path: group(3),
            key: group(4).unwrap_or(""),
        }
    }
}

/// Replaces the variables found; unknown aliases and keys keep their `${...}` text. No recursion.
fn substitute(value: &str, found: &Found<'_>) -> String {
    variable_regex()
        .replace_all(value, |caps: &Captures<'_>| {
            let var = Variable::from_captures(caps);
            found
                .get(&(var.alias, var.path))
                .and_then(|data| data.get(var.key))
                .cloned()
                .unwrap_or_else(|| caps[0].to_string())
        })
        .into_owned()
}

/// A provider's `param.*` settings, with the prefix kept for error messages.
struct Params<'a> {
    prefix: &'a str,
    values: BTreeMap<&'a str, &'a str>,
}

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).copied()
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// Kafka treats an absent path and an empty one alike.
fn non_empty(path: Option<&str>) -> Option<&str> {
    path.filter(|p| !p.is_empty())
}

/// Kafka's `AllowedPaths`: `None` allows everything.
struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    /// Every entry must be an absolute, existing path.
    fn from_params(params: &Params<'_>) -> Result<Self, ProviderError> {
        let Some(value) = params
            .get(ALLOWED_PATHS_PARAM)
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(AllowedPaths(None));
        };
        let mut dirs = Vec::new();
        for entry in value.split(',').map(str::trim) {
            let dir = normalize(Path::new(entry));
            if !dir.is_absolute() || !dir.exists() {
                return Err(ProviderError::InvalidParam {
                    key: params.key(ALLOWED_PATHS_PARAM),
                    reason: format!("path '{entry}' is not valid; it must be absolute and exist"),
                });
            }
            dirs.push(dir);
        }
        Ok(AllowedPaths(Some(dirs)))
    }

    /// The path to use, or `None` (with a warning) when it is outside the allowed directories.
    fn check(&self, path: &str) -> Option<PathBuf> {
        let Some(dirs) = &self.0 else {
            return Some(PathBuf::from(path));
        };
        let normalized = normalize(Path::new(path));
        if dirs.iter().any(|dir| normalized.starts_with(dir)) {
            Some(normalized)
        } else {
            tracing::warn!(
                path,
                "config provider path is not in allowed.paths; not reading it"
            );
            None
        }
    }
}

/// Lexical normalization like Java's `Path.normalize`: drops `.`, folds `..` (not above root).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `${file:/path/x.properties:key}`: a key from a properties file.
struct FileConfigProvider {
    allowed: AllowedPaths,
}

impl ConfigProvider for FileConfigProvider {
    fn get(
        &self,
        path: Option<&str>,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        let Some(file) = non_empty(path).and_then(|p| self.allowed.check(p)) else {
            return Ok(BTreeMap::new());
        };
        let properties = load_properties(&file)?;
        Ok(keys
            .iter()
            .filter_map(|key| Some((key.to_string(), properties.get(*key)?.clone())))
            .collect())
    }
}

/// `${dir:/path/dir:filename}`: the content of a regular file directly in the directory.
struct DirectoryConfigProvider {
    allowed: AllowedPaths,
}

impl ConfigProvider for DirectoryConfigProvider {
    fn get(
        &self,
        path: Option<&str>,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut data = BTreeMap::new();
        let Some(dir) = non_empty(path).and_then(|p| self.allowed.check(p)) else {
            return Ok(data);
        };
        if !dir.is_dir() {
            tracing::warn!(path = %dir.display(), "config provider path is not a directory");
            return Ok(data);
        }
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ProviderError::Io { path, source }
        };
        for entry in std::fs::read_dir(&dir).map_err(io_error(&dir))? {
            let entry = entry.map_err(io_error(&dir))?;
            let file_name = entry.file_name();
            let Some(name) = keys.iter().find(|key| OsStr::new(key) == file_name) else {
                continue;
            };
            let file = entry.path();
            // Like Files.isRegularFile, follow symlinks (Kubernetes secret volumes use them).
            if !std::fs::metadata(&file).is_ok_and(|m| m.is_file()) {
                continue;
            }
            let bytes = std::fs::read(&file).map_err(io_error(&file))?;
            data.insert(
                name.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
        Ok(data)
    }
}

/// `${env:VAR}`: an environment variable whose name fully matches `allowlist.pattern`.
struct EnvVarConfigProvider {
    allowlist: Option<Regex>,
}

impl EnvVarConfigProvider {
    fn from_params(params: &Params<'_>) -> Result<Self, ProviderError> {
        let allowlist = match params.get(ALLOWLIST_PATTERN_PARAM) {
            None => None,
            Some(pattern) => Some(Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|err| {
                ProviderError::InvalidParam {
                    key: params.key(ALLOWLIST_PATTERN_PARAM),
                    reason: format!("invalid regex '{pattern}': {err}"),
                }
            })?),
        };
        Ok(EnvVarConfigProvider { allowlist })
    }

    fn allows(&self, name: &str) -> bool {
        self.allowlist.as_ref().is_none_or(|re| re.is_match(name))
    }
}

impl ConfigProvider for EnvVarConfigProvider {
    fn get(
        &self,
        path: Option<&str>,
        keys: &[&str],
    ) -> Result<BTreeMap<String, String>, ProviderError> {
        if let Some(path) = non_empty(path) {
            return Err(ProviderError::PathNotSupported(path.to_string()));
        }
        Ok(keys
            .iter()
            .filter(|name| self.allows(name))
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    static UNIQUE: AtomicUsize = AtomicUsize::new(0);

    fn unique(name: &str) -> String {
        format!(
            "{name}_{}_{}",
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(unique(&format!("providers-test-{name}")));
            std::fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }

        fn write(&self, name: &str, content: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, content).expect("write temp file");
            path
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("temp dir path is UTF-8")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    use crate::test_support::config;

    fn providers(pairs: &[(&str, &str)]) -> ConfigProviders {
        ConfigProviders::from_worker_config(&config(pairs)).expect("valid provider config")
    }

    fn config_error(pairs: &[(&str, &str)]) -> ProviderError {
        ConfigProviders::from_worker_config(&config(pairs)).expect_err("invalid provider config")
    }

    fn file_providers(params: &[(&str, &str)]) -> ConfigProviders {
        let mut pairs = vec![
            ("config.providers", "file"),
            ("config.providers.file.class", FILE_PROVIDER),
        ];
        pairs.extend_from_slice(params);
        providers(&pairs)
    }

    fn dir_providers(params: &[(&str, &str)]) -> ConfigProviders {
        let mut pairs = vec![
            ("config.providers", "dir"),
            ("config.providers.dir.class", DIRECTORY_PROVIDER),
        ];
        pairs.extend_from_slice(params);
        providers(&pairs)
    }

    fn env_providers(params: &[(&str, &str)]) -> ConfigProviders {
        let mut pairs = vec![
            ("config.providers", "env"),
            ("config.providers.env.class", ENV_PROVIDER),
        ];
        pairs.extend_from_slice(params);
        providers(&pairs)
    }

    fn set_env(name: &str, value: &str) -> String {
        let name = unique(name);
        std::env::set_var(&name, value);
        name
    }

    /// Records every lookup and answers from a fixed map; fails for path "fail".
    struct RecordingProvider {
        data: BTreeMap<String, String>,
        calls: Calls,
    }

    impl ConfigProvider for RecordingProvider {
        fn get(
            &self,
            path: Option<&str>,
            keys: &[&str],
        ) -> Result<BTreeMap<String, String>, ProviderError> {
            self.calls.lock().expect("lock").push((
                path.map(str::to_string),
                keys.iter().map(|k| k.to_string()).collect(),
            ));
            if path == Some("fail") {
                return Err(ProviderError::PathNotSupported("fail".into()));
            }
            Ok(keys
                .iter()
                .filter_map(|k| Some((k.to_string(), self.data.get(*k)?.clone())))
                .collect())
        }
    }

    type Calls = Arc<Mutex<Vec<(Option<String>, Vec<String>)>>>;

    fn recording(alias: &str, data: &[(&str, &str)]) -> (ConfigProviders, Calls) {
        let calls = Calls::default();
        let mut providers = ConfigProviders::default();
        providers.insert(
            alias,
            Box::new(RecordingProvider {
                data: config(data),
                calls: calls.clone(),
            }),
        );
        (providers, calls)
    }

    #[test]
    fn variable_syntax() {
        let parse = |text: &str| {
            let caps = variable_regex().captures(text).expect("a variable");
            let var = Variable::from_captures(&caps);
            (
                var.alias.to_string(),
                var.path.map(str::to_string),
                var.key.to_string(),
            )
        };
        let own = |a: &str, p: Option<&str>, k: &str| {
            (a.to_string(), p.map(str::to_string), k.to_string())
        };
        assert_eq!(
            parse("${file:/a/b.properties:key}"),
            own("file", Some("/a/b.properties"), "key")
        );
        assert_eq!(parse("${env:HOME}"), own("env", None, "HOME"));
        assert_eq!(parse("${a::k}"), own("a", Some(""), "k"));
        assert_eq!(parse("${:k}"), own("", None, "k"));
        // Alias and path stop at the first colons; the key takes the rest.
        assert_eq!(parse("${a:p:k:x}"), own("a", Some("p"), "k:x"));
        assert!(variable_regex().captures("${nocolon}").is_none());
        assert!(variable_regex().captures("$file:k}").is_none());
    }

    #[test]
    fn no_providers_configured() {
        let empty = providers(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.resolve("${file:/x:y}"), "${file:/x:y}");
        assert!(providers(&[("config.providers", "")]).is_empty());
        assert!(providers(&[("config.providers", " , ")]).is_empty());
        assert!(ConfigProviders::default().is_empty());
    }

    #[test]
    fn aliases_are_trimmed_and_simple_class_names_accepted() {
        let p = providers(&[
            ("config.providers", " file , env,dir "),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.env.class", " EnvVarConfigProvider "),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
        ]);
        assert!(!p.is_empty());
        assert_eq!(
            format!("{p:?}"),
            r#"ConfigProviders { aliases: ["dir", "env", "file"] }"#
        );
    }

    #[test]
    fn missing_class_is_an_error_naming_the_key() {
        let err = config_error(&[
            ("config.providers", "file,vault"),
            ("config.providers.file.class", FILE_PROVIDER),
        ]);
        assert!(matches!(&err, ProviderError::MissingClass { alias, .. } if alias == "vault"));
        assert!(
            err.to_string().contains("config.providers.vault.class"),
            "{err}"
        );
    }

    #[test]
    fn unknown_class_is_an_error_naming_the_key() {
        let err = config_error(&[
            ("config.providers", "vault"),
            (
                "config.providers.vault.class",
                "com.example.VaultConfigProvider",
            ),
        ]);
        let message = err.to_string();
        assert!(
            message.contains("config.providers.vault.class"),
            "{message}"
        );
        assert!(
            message.contains("com.example.VaultConfigProvider"),
            "{message}"
        );
    }

    #[test]
    fn providers_not_listed_are_ignored() {
        let p = providers(&[("config.providers.file.class", "com.example.Nope")]);
        assert!(p.is_empty());
    }

    #[test]
    fn invalid_params_are_errors_naming_the_key() {
        let err = config_error(&[
            ("config.providers", "env"),
            ("config.providers.env.class", ENV_PROVIDER),
            ("config.providers.env.param.allowlist.pattern", "("),
        ]);
        assert!(
            err.to_string()
                .contains("config.providers.env.param.allowlist.pattern"),
            "{err}"
        );

        let relative = config_error(&[
            ("config.providers", "file"),
            ("config.providers.file.class", FILE_PROVIDER),
            ("config.providers.file.param.allowed.paths", "relative/dir"),
        ]);
        assert!(
            relative
                .to_string()
                .contains("config.providers.file.param.allowed.paths"),
            "{relative}"
        );

        let missing = std::env::temp_dir().join(unique("providers-test-missing"));
        let missing = missing.to_str().expect("UTF-8 path");
        let err = config_error(&[
            ("config.providers", "dir"),
            ("config.providers.dir.class", DIRECTORY_PROVIDER),
            ("config.providers.dir.param.allowed.paths", missing),
        ]);
        assert!(
            err.to_string()
                .contains("config.providers.dir.param.allowed.paths"),
            "{err}"
        );
    }

    #[test]
    fn file_provider_resolves_keys() {
        let dir = TempDir::new("file");
        let file = dir.write(
            "secrets.properties",
            "user=alice\npassword = s3cr\\=t\n# c\n",
        );
        let file = file.to_str().expect("UTF-8 path");
        let p = file_providers(&[]);
        assert_eq!(p.resolve(&format!("${{file:{file}:user}}")), "alice");
        assert_eq!(p.resolve(&format!("${{file:{file}:password}}")), "s3cr=t");
        assert_eq!(
            p.resolve(&format!(
                "u=${{file:{file}:user}};p=${{file:{file}:password}};"
            )),
            "u=alice;p=s3cr=t;"
        );
    }

    #[test]
    fn file_provider_leaves_unresolvable_variables() {
        let dir = TempDir::new("file-missing");
        let file = dir.write("a.properties", "user=alice\n");
        let file = file.to_str().expect("UTF-8 path");
        let p = file_providers(&[]);
        let missing_key = format!("${{file:{file}:nope}}");
        assert_eq!(p.resolve(&missing_key), missing_key);
        // Unreadable file: logged, left as is.
        let missing_file = format!("${{file:{}/absent.properties:user}}", dir.path());
        assert_eq!(p.resolve(&missing_file), missing_file);
        // Two-part form: no path, so the file provider has nothing.
        assert_eq!(p.resolve("${file:user}"), "${file:user}");
        // Alias not configured.
        let other = format!("${{vault:{file}:user}}");
        assert_eq!(p.resolve(&other), other);
        // One unresolved variable does not stop the others.
        assert_eq!(
            p.resolve(&format!("${{file:{file}:nope}}-${{file:{file}:user}}")),
            format!("${{file:{file}:nope}}-alice")
        );
    }

    #[test]
    fn malformed_properties_file_leaves_variables() {
        let dir = TempDir::new("file-malformed");
        let file = dir.write("bad.properties", "user=alice\nbad=\\u12\n");
        let value = format!("${{file:{}:user}}", file.display());
        assert_eq!(file_providers(&[]).resolve(&value), value);
    }

    #[test]
    fn file_provider_allowed_paths() {
        let allowed = TempDir::new("allowed");
        let other_allowed = TempDir::new("allowed-too");
        let outside = TempDir::new("outside");
        allowed.write("in.properties", "k=inside\n");
        outside.write("out.properties", "k=outside\n");
        let p = file_providers(&[(
            "config.providers.file.param.allowed.paths",
            &format!("{} , {}", other_allowed.path(), allowed.path()),
        )]);
        let inside = format!("${{file:{}/in.properties:k}}", allowed.path());
        assert_eq!(p.resolve(&inside), "inside");
        // `.` segments are normalized away before the check.
        let dotted = format!("${{file:{}/./in.properties:k}}", allowed.path());
        assert_eq!(p.resolve(&dotted), "inside");
        // Outside the allowed dirs: the provider returns nothing, the variable stays.
        let refused = format!("${{file:{}/out.properties:k}}", outside.path());
        assert_eq!(p.resolve(&refused), refused);
        // `..` cannot escape an allowed dir.
        let outside_name = outside.0.file_name().and_then(OsStr::to_str).expect("name");
        let escape = format!(
            "${{file:{}/../{outside_name}/out.properties:k}}",
            allowed.path()
        );
        assert_eq!(p.resolve(&escape), escape);
        // Relative paths never start with an allowed absolute dir.
        assert_eq!(
            p.resolve("${file:in.properties:k}"),
            "${file:in.properties:k}"
        );
        // Without allowed.paths everything is readable.
        assert_eq!(file_providers(&[]).resolve(&refused), "outside");
    }

    #[test]
    fn allowed_path_check_is_per_component() {
        let allowed = TempDir::new("prefix");
        let sibling = PathBuf::from(format!("{}-sibling", allowed.path()));
        std::fs::create_dir_all(&sibling).expect("create sibling");
        std::fs::write(sibling.join("s.properties"), "k=v\n").expect("write");
        let p = file_providers(&[("config.providers.file.param.allowed.paths", allowed.path())]);
        let value = format!("${{file:{}/s.properties:k}}", sibling.display());
        let resolved = p.resolve(&value);
        std::fs::remove_dir_all(&sibling).ok();
        assert_eq!(resolved, value);
    }

    #[test]
    fn normalize_is_lexical_like_java() {
        let n = |p: &str| normalize(Path::new(p));
        assert_eq!(n("/a/./b/../c"), PathBuf::from("/a/c"));
        assert_eq!(n("/../a"), PathBuf::from("/a"));
        assert_eq!(n("/a/b/../../.."), PathBuf::from("/"));
        assert_eq!(n("a/../../b"), PathBuf::from("../b"));
        assert_eq!(n("./a//b/"), PathBuf::from("a/b"));
    }

    #[test]
    fn directory_provider_reads_file_contents() {
        let dir = TempDir::new("dir");
        dir.write("password", "s3cret\n");
        dir.write("user", "alice");
        std::fs::create_dir(dir.0.join("subdir")).expect("mkdir");
        std::fs::write(dir.0.join("subdir").join("nested"), "deep").expect("write");
        let p = dir_providers(&[]);
        let d = dir.path();
        // Content is taken verbatim, trailing newline included.
        assert_eq!(p.resolve(&format!("${{dir:{d}:password}}")), "s3cret\n");
        assert_eq!(p.resolve(&format!("${{dir:{d}:user}}/x")), "alice/x");
        // Only regular files directly in the directory.
        for key in ["subdir", "subdir/nested", "../user", ".", "missing"] {
            let value = format!("${{dir:{d}:{key}}}");
            assert_eq!(p.resolve(&value), value, "key {key}");
        }
        // Not a directory, or no path at all.
        let not_dir = format!("${{dir:{d}/user:user}}");
        assert_eq!(p.resolve(&not_dir), not_dir);
        assert_eq!(p.resolve("${dir:user}"), "${dir:user}");
    }

    #[cfg(unix)]
    #[test]
    fn directory_provider_follows_symlinks_to_files() {
        let dir = TempDir::new("dir-symlink");
        let target = dir.write("..data_file", "linked");
        std::os::unix::fs::symlink(&target, dir.0.join("token")).expect("symlink");
        let p = dir_providers(&[]);
        assert_eq!(
            p.resolve(&format!("${{dir:{}:token}}", dir.path())),
            "linked"
        );
    }

    #[test]
    fn directory_provider_allowed_paths() {
        let allowed = TempDir::new("dir-allowed");
        let outside = TempDir::new("dir-outside");
        allowed.write("k", "in");
        outside.write("k", "out");
        let p = dir_providers(&[("config.providers.dir.param.allowed.paths", allowed.path())]);
        assert_eq!(p.resolve(&format!("${{dir:{}:k}}", allowed.path())), "in");
        let refused = format!("${{dir:{}:k}}", outside.path());
        assert_eq!(p.resolve(&refused), refused);
    }

    #[test]
    fn env_provider_resolves_variables() {
        let name = set_env("PROVIDERS_TEST_USER", "alice");
        let p = env_providers(&[]);
        assert_eq!(p.resolve(&format!("${{env:{name}}}")), "alice");
        assert_eq!(p.resolve(&format!("user=${{env:{name}}}!")), "user=alice!");
        // An empty path is the same as none.
        assert_eq!(p.resolve(&format!("${{env::{name}}}")), "alice");
        let unset = format!("${{env:{}}}", unique("PROVIDERS_TEST_UNSET"));
        assert_eq!(p.resolve(&unset), unset);
        // A path is not supported: logged, left as is.
        let with_path = format!("${{env:/some/path:{name}}}");
        assert_eq!(p.resolve(&with_path), with_path);
    }

    #[test]
    fn env_provider_allowlist_must_match_fully() {
        let allowed = set_env("PROVIDERS_ALLOWED", "yes");
        let denied = set_env("PROVIDERS_DENIED", "no");
        let p = env_providers(&[(
            "config.providers.env.param.allowlist.pattern",
            "PROVIDERS_ALLOWED_.*",
        )]);
        assert_eq!(p.resolve(&format!("${{env:{allowed}}}")), "yes");
        let refused = format!("${{env:{denied}}}");
        assert_eq!(p.resolve(&refused), refused);
        // A pattern matching only part of the name does not allow it.
        let partial = env_providers(&[(
            "config.providers.env.param.allowlist.pattern",
            "PROVIDERS_ALLOWED",
        )]);
        let value = format!("${{env:{allowed}}}");
        assert_eq!(partial.resolve(&value), value);
        // Alternation is anchored as a whole.
        let alternation = env_providers(&[(
            "config.providers.env.param.allowlist.pattern",
            "NOPE|PROVIDERS_ALLOWED_.*",
        )]);
        assert_eq!(alternation.resolve(&value), "yes");
    }

    #[test]
    fn replacements_are_not_resolved_again() {
        let name = set_env("PROVIDERS_NESTED", "${env:PATH}");
        let p = env_providers(&[]);
        assert_eq!(p.resolve(&format!("${{env:{name}}}")), "${env:PATH}");
    }

    #[test]
    fn text_that_is_not_a_variable_is_kept() {
        let (p, calls) = recording("a", &[("k", "V")]);
        for value in [
            "", "plain", "$", "${", "${a:k", "$a:k}", "${a}", "{a:k}", "$${a:k}x",
        ] {
            let expected = if value == "$${a:k}x" { "$Vx" } else { value };
            assert_eq!(p.resolve(value), expected, "value {value:?}");
        }
        assert_eq!(calls.lock().expect("lock").len(), 1);
    }

    #[test]
    fn resolve_all_asks_each_provider_once_per_path() {
        let (p, calls) = recording("a", &[("k1", "one"), ("k2", "two")]);
        let input = config(&[
            ("x", "${a:p:k1}"),
            ("y", "${a:p:k2} and ${a:p:k1}"),
            ("z", "${a:k1}"),
            ("w", "${a:p:missing}"),
            ("v", "${b:p:k1}"),
            ("u", "no variables"),
        ]);
        let output = p.resolve_all(&input);
        assert_eq!(
            output,
            config(&[
                ("x", "one"),
                ("y", "two and one"),
                ("z", "one"),
                ("w", "${a:p:missing}"),
                ("v", "${b:p:k1}"),
                ("u", "no variables"),
            ])
        );
        let mut calls = calls.lock().expect("lock").clone();
        calls.sort();
        let own = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            calls,
            vec![
                (None, own(&["k1"])),
                (Some("p".to_string()), own(&["k1", "k2", "missing"]))
            ]
        );
    }

    #[test]
    fn failing_provider_leaves_only_its_variables() {
        let (p, _calls) = recording("a", &[("k", "V")]);
        assert_eq!(p.resolve("${a:fail:k} ${a:ok:k}"), "${a:fail:k} V");
        let resolved = p.resolve_all(&config(&[("x", "${a:fail:k}"), ("y", "${a:ok:k}")]));
        assert_eq!(resolved, config(&[("x", "${a:fail:k}"), ("y", "V")]));
    }

    #[test]
    fn provider_without_providers_configured_is_not_called() {
        let (p, calls) = recording("a", &[("k", "V")]);
        assert_eq!(p.resolve("${b:k}"), "${b:k}");
        assert!(calls.lock().expect("lock").is_empty());
    }

    #[test]
    fn worker_config_end_to_end() {
        let dir = TempDir::new("e2e");
        let file = dir.write("db.properties", "password=hunter2\n");
        dir.write("token", "abc");
        let name = set_env("PROVIDERS_E2E", "from-env");
        let p = providers(&[
            ("config.providers", "file,env,dir"),
            ("config.providers.file.class", FILE_PROVIDER),
            ("config.providers.file.param.allowed.paths", dir.path()),
            ("config.providers.env.class", ENV_PROVIDER),
            ("config.providers.dir.class", DIRECTORY_PROVIDER),
        ]);
        let connector = config(&[
            (
                "connection.password",
                &format!("${{file:{}:password}}", file.display()),
            ),
            ("token", &format!("${{dir:{}:token}}", dir.path())),
            ("env", &format!("${{env:{name}}}")),
            ("name", "my-connector"),
        ]);
        assert_eq!(
            p.resolve_all(&connector),
            config(&[
                ("connection.password", "hunter2"),
                ("token", "abc"),
                ("env", "from-env"),
                ("name", "my-connector"),
            ])
        );
    }
}
