//! The upload domain: file names, verification, warnings, the stash, chunked sessions and
//! publishing, in MediaWiki's terms. (The API layer maps results to MediaWiki's JSON.)

pub mod chunks;
pub mod publish;
pub mod stash;
pub mod title;
pub mod url;
pub mod verify;
pub mod warnings;

/// Name rules from configuration.
pub fn title_rules(cfg: &crate::config::UploadConfig) -> title::TitleRules {
    title::TitleRules {
        file_extensions: cfg.file_extensions.clone(),
        prohibited_extensions: cfg.prohibited_extensions.clone(),
        check_extensions: true,
        strict_extensions: cfg.strict_extensions,
    }
}
