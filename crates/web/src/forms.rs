//! Form errors: each field's message as shown beside it, shared by every page with a form.

use std::collections::BTreeMap;

/// One field's error as shown beside it: the message in the user's language and, where it adds
/// information, the detail (the domain's check in the user's language where the catalogue has it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErr {
    pub text: String,
    pub detail: String,
}

/// Errors by form field.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<String, FieldErr>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, text: &str, detail: Option<&str>) {
        let e = self.0.entry(field.to_string()).or_default();
        if !e.text.contains(text) {
            if !e.text.is_empty() {
                e.text.push(' ');
            }
            e.text.push_str(text);
        }
        if let Some(d) = detail.filter(|d| !d.is_empty()) {
            if !e.detail.contains(d) {
                if !e.detail.is_empty() {
                    e.detail.push_str("; ");
                }
                e.detail.push_str(d);
            }
        }
    }
    pub fn err(&self, field: &str) -> Option<&FieldErr> {
        self.0.get(field)
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
