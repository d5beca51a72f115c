//! The OpenAPI 3.1 document of the JSON API, written by hand next to the routes it describes.
//! A test checks that every API route is described.

use serde_json::{json, Value};

mod integration;

fn op(summary: &str, tag: &str, params: Value) -> Value {
    json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {}}},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "404": {"$ref": "#/components/responses/NotFound"}
        }
    })
}

pub(crate) fn path_param(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}})
}

pub(crate) fn query_param(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}})
}

pub fn document() -> Value {
    let q = query_param("q", "search, insensitive to diacritics and case", "string");
    let id = path_param("id", "edition id, e.g. par-2020-province");
    let slug = path_param("slug", "unit slug, e.g. so-noi-vu");
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ParIndex API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "PAR Index editions, published results, gap analysis, units, the audit log, pushed one-stop-shop dossiers (POST /api/v1/dossiers), and for integrations the plan (my tasks, monthly reports, reviews) and the assessment (items, self-scores, evidence, rankings). Two ways in: the session cookie of /login (state-changing calls also need the x-csrf-token header), or an API token, `Authorization: Bearer pxi_…` (made by `parindex token create` or on /tokens; the token's user and role, narrowed by its scope: a read token gets 403 on any change; no CSRF). A bad, revoked or expired token: 401 with WWW-Authenticate; too many from one address: 429. Every list is paged: ?page= (from 1) and ?per_page= (1-500, default 50), answered {items, page, per_page, total, pages}. See docs/api.md."
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "parindex_session"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (pxi_ and 64 hex digits), scope read or write"}
            },
            "responses": {
                "Unauthorized": {"description": "not signed in, or a token unknown, revoked or expired (with WWW-Authenticate: Bearer)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"error": "The API token is not valid, has expired or was revoked.", "kind": "invalid_token"}}}},
                "ReadOnlyToken": {"description": "a read token on a change", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"error": "This token may only read; it cannot change anything.", "kind": "read_only_token"}}}},
                "Throttled": {"description": "too many bad tokens from this address (Retry-After)", "content": {"application/json": {"example": {"error": "Too many bad tokens from this address; try again later.", "kind": "token_throttled"}}}},
                "Forbidden": {"description": "the role or unit may not do this", "content": {"application/json": {}}},
                "NotFound": {"description": "no such record", "content": {"application/json": {}}}
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}, "kind": {"type": "string", "description": "for token refusals: invalid_token, read_only_token, token_throttled"}}, "required": ["error"]},
                "Page": integration::page_schema(),
                "Problem": {"type": "object", "description": "a write refused field by field; messages in the user's language, as the form shows them", "properties": {
                    "error": {"type": "string", "description": "every refused field in one sentence: `field: message; …`"}, "field": {"type": "string", "description": "the first field refused (a path into the request, e.g. `name_vi`; empty for the request as a whole)"},
                    "problems": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}, "required": ["field", "message"]}}
                }, "required": ["error", "field", "problems"]},
                "BatchRefusal": {"type": "object", "description": "a batch of dossiers refused whole", "properties": {
                    "error": {"type": "string", "description": "in the user's language"}, "kind": {"type": "string", "enum": ["too_many", "too_large", "not_json", "not_a_batch"]},
                    "message_vi": {"type": "string"}, "message_en": {"type": "string"}, "max": {"type": "integer"}, "line": {"type": "integer"}, "column": {"type": "integer"}
                }, "required": ["error", "kind", "message_vi", "message_en"], "example": {"error": "Lô có quá 10000 hồ sơ; hãy chia nhỏ. Không lưu gì.", "kind": "too_many", "max": 10000, "message_vi": "Lô có quá 10000 hồ sơ; hãy chia nhỏ. Không lưu gì.", "message_en": "The batch holds more than 10000 dossiers; split it. Nothing was saved."}},
                "Decimal": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "an exact decimal written as a string"}
            }
        },
        "security": [{"session": []}, {"bearer": []}],
        "paths": {
            "/health": {"get": {"summary": "liveness and database check", "tags": ["system"], "security": [], "responses": {"200": {"description": "OK"}, "503": {"description": "the database cannot be reached"}}}},
            "/api/v1/openapi.json": {"get": {"summary": "this document", "tags": ["system"], "security": [], "responses": {"200": {"description": "OK"}}}},
            "/api/v1/me": {"get": op("the signed-in user", "account", json!([]))},
            "/api/v1/editions": {"get": op("index editions (paged)", "editions", integration::paged_params(vec![q]))},
            "/api/v1/editions/{id}": {"get": op("one edition with its components and criteria tree", "editions", json!([id]))},
            "/api/v1/editions/{id}/results": {"get": op("the ranked results table (rank_source: published or computed); its rows paged as items, with edition_id, edition_name, complete, peer_count", "results", integration::paged_params(vec![id.clone()]))},
            "/api/v1/editions/{id}/gap": {"get": op("gap analysis of one subject: points lost, change, points to the target rank", "results", json!([
                id,
                {"name": "subject", "in": "query", "required": true, "schema": {"type": "string"}, "description": "subject slug, e.g. bac-giang"},
                query_param("target_rank", "overall target rank (default: the stored target)", "integer")
            ]))},
            "/api/v1/units": {"get": op("units of the province (paged)", "units", integration::paged_params(vec![query_param("q", "search, insensitive to diacritics and case", "string")]))},
            "/api/v1/units/{slug}": {
                "get": op("one unit", "units", json!([slug])),
                "put": {
                    "summary": "update a unit's names and head of agency (coordinator, or the unit's own users)",
                    "tags": ["units"],
                    "parameters": [path_param("slug", "unit slug"), {"name": "x-csrf-token", "in": "header", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "description": "absent: kept; empty: cleared (not name_vi); the same rules as the unit page's form", "properties": {
                        "name_vi": {"type": "string", "minLength": 1, "maxLength": 200}, "name_en": {"type": "string", "maxLength": 200}, "head_name": {"type": "string", "maxLength": 200}, "head_title": {"type": "string", "maxLength": 200}
                    }}}}},
                    "responses": {
                        "200": {"description": "the updated unit"},
                        "400": {"description": "the body is not JSON of this shape (an unknown field, a wrong type)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "403": {"$ref": "#/components/responses/Forbidden"},
                        "404": {"$ref": "#/components/responses/NotFound"},
                        "413": {"description": "the body is over 2 MB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "415": {"description": "the body is not application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "422": {"description": "a field refused (too long, blank name_vi, a slug that is not one); nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                }
            },
            "/api/v1/audit": {"get": op("the audit log, newest first (unit-bound roles: their unit only)", "audit", json!([
                query_param("actor", "username", "string"), query_param("unit", "unit slug", "string"), query_param("entity", "kind of record", "string"),
                query_param("limit", "at most 1000 (the older paging; page and per_page win)", "integer"), query_param("offset", "rows to skip", "integer"),
                query_param("page", "from 1", "integer"), query_param("per_page", "1 to 500", "integer")
            ]))},
            "/api/v1/users": {"get": op("users (administrators; paged)", "users", integration::paged_params(vec![query_param("q", "search", "string")]))},
            "/api/v1/dossiers": {"post": push_dossiers()}
        }
    });
    integration::add_paths(&mut doc);
    doc
}

/// `POST /api/v1/dossiers` (`crate::api_dossiers`), with a request and a response example.
fn push_dossiers() -> Value {
    use crate::api_dossiers::PUSH_BODY_LIMIT;
    use parindex_interchange::dossiers::{BATCH_MAX, TEXT_MAX};
    let text = json!({"type": ["string", "integer", "null"], "maxLength": TEXT_MAX});
    let refused =
        json!({"application/json": {"schema": {"$ref": "#/components/schemas/BatchRefusal"}}});
    json!({
        "summary": "push one-stop-shop dossiers (coordinator and administrator: any agency; an agency's users: their own agency)",
        "description": format!("A batch of at most {BATCH_MAX} dossiers in the dossier file's columns (docs/dossiers.md), idempotent by agency and code: a dossier sent again as stored is unchanged, a later state replaces the earlier one, and a batch that changes nothing writes nothing (no audit entry). Each dossier is checked with the file import's row rules; a refused one is listed with its index, code, field and reason and the others are stored, in one transaction with the counts per agency × month and the overdue lists. A cell imported from a file refuses pushed dossiers (kind cell_from_file). Pending dossiers are overdue as of the server's day (Asia/Ho_Chi_Minh). With a session cookie the x-csrf-token header is required."),
        "tags": ["dossiers"],
        "parameters": [{"name": "x-csrf-token", "in": "header", "required": false, "description": "the session's CSRF token (cookie sessions only)", "schema": {"type": "string"}}],
        "requestBody": {"required": true, "content": {"application/json": {
            "schema": {"type": "object", "required": ["dossiers"], "properties": {"dossiers": {"type": "array", "maxItems": BATCH_MAX, "items": {"type": "object", "properties": {
                "code": text, "agency": text, "procedure": text, "level": text, "online_level": text,
                "received_at": text, "due_at": text, "result_at": text, "closed_at": text, "status": text
            }, "required": ["code", "agency", "procedure", "level", "received_at", "due_at"]}}}},
            "example": {"dossiers": [
                {"code": "000.00.17.H06-210601-0001", "agency": "so-tu-phap", "procedure": "1.001756", "level": "province", "online_level": 3, "received_at": "2021-06-01T08:15:00+07:00", "due_at": "2021-06-04T17:00:00+07:00", "result_at": "2021-06-03T10:00:00+07:00", "closed_at": "2021-06-03T10:05:00+07:00", "status": "Đã trả kết quả"},
                {"code": "000.00.17.H06-210601-0002", "agency": "Sở Tư pháp", "procedure": "1.001756", "level": "tỉnh", "received_at": "2021-06-01 09:00", "due_at": "2021-06-01", "result_at": null, "closed_at": "2021-05-30", "status": null}
            ]}
        }}},
        "responses": {
            "200": {"description": "what became of each dossier", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "added": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"}, "refused": {"type": "integer"},
                    "push_id": {"type": ["integer", "null"], "description": "the push's record; null when nothing changed"},
                    "cells": {"type": "integer", "description": "agency × month cells recomputed"},
                    "refusals": {"type": "array", "items": {"type": "object", "properties": {
                        "index": {"type": "integer", "description": "the dossier's place in the list, from 0"}, "code": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                        "kind": {"type": "string", "enum": ["empty", "not_utf8", "not_a_time", "year_out_of_range", "unknown_level", "unknown_online_level", "times_out_of_order", "not_text", "too_long", "not_an_object", "column_count", "repeated", "not_your_agency", "cell_from_file"]},
                        "message": {"type": "string", "description": "in the user's language"}, "message_vi": {"type": "string"}, "message_en": {"type": "string"},
                        "import_id": {"type": "integer", "description": "cell_from_file: the file import that fed the cell"},
                        "first": {"type": "integer", "description": "repeated: the index of the same dossier earlier in the batch"}
                    }, "required": ["index", "code", "field", "kind", "message", "message_vi", "message_en"]}}
                }},
                "example": {"added": 1, "updated": 0, "unchanged": 0, "refused": 1, "push_id": 42, "cells": 1, "refusals": [
                    {"index": 1, "code": "000.00.17.H06-210601-0002", "field": "closed_at", "kind": "times_out_of_order", "message": "Ngày kết thúc trước ngày tiếp nhận.", "message_vi": "Ngày kết thúc trước ngày tiếp nhận.", "message_en": "Closed before it was received."}
                ]}
            }}},
            "400": {"description": "not JSON, or not an object with the list dossiers (kind not_json, not_a_batch); nothing stored", "content": refused},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {"$ref": "#/components/responses/Forbidden"},
            "413": {"description": format!("over {BATCH_MAX} dossiers (kind too_many, found without reading the rest) or a body over {} MiB (kind too_large, from Content-Length before reading); nothing stored", PUSH_BODY_LIMIT / (1024 * 1024)), "content": refused},
            "415": {"description": "the body is not application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    })
}
