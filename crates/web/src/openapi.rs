//! The OpenAPI 3.1 document of the JSON API, written by hand next to the routes it describes.
//! A test checks that every API route is described.

use serde_json::{json, Value};

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

fn path_param(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}})
}

fn query_param(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}})
}

pub fn document() -> Value {
    let q = query_param("q", "search, insensitive to diacritics and case", "string");
    let id = path_param("id", "edition id, e.g. par-2020-province");
    let slug = path_param("slug", "unit slug, e.g. so-noi-vu");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ParIndex API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "PAR Index editions, published results, gap analysis, units and the audit log. Sign in through /login; the session cookie authorizes API calls with the same roles as the pages. State-changing calls need the x-csrf-token header (the session's token)."
        },
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "parindex_session"}},
            "responses": {
                "Unauthorized": {"description": "not signed in", "content": {"application/json": {}}},
                "Forbidden": {"description": "the role or unit may not do this", "content": {"application/json": {}}},
                "NotFound": {"description": "no such record", "content": {"application/json": {}}}
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
                "Problem": {"type": "object", "description": "a write refused field by field; messages in the user's language, as the form shows them", "properties": {
                    "error": {"type": "string", "description": "every refused field in one sentence: `field: message; …`"}, "field": {"type": "string", "description": "the first field refused (a path into the request, e.g. `name_vi`; empty for the request as a whole)"},
                    "problems": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}, "required": ["field", "message"]}}
                }, "required": ["error", "field", "problems"]},
                "Decimal": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "an exact decimal written as a string"}
            }
        },
        "security": [{"session": []}],
        "paths": {
            "/health": {"get": {"summary": "liveness and database check", "tags": ["system"], "security": [], "responses": {"200": {"description": "OK"}, "503": {"description": "the database cannot be reached"}}}},
            "/api/v1/openapi.json": {"get": {"summary": "this document", "tags": ["system"], "security": [], "responses": {"200": {"description": "OK"}}}},
            "/api/v1/me": {"get": op("the signed-in user", "account", json!([]))},
            "/api/v1/editions": {"get": op("index editions", "editions", json!([q]))},
            "/api/v1/editions/{id}": {"get": op("one edition with its components and criteria tree", "editions", json!([id]))},
            "/api/v1/editions/{id}/results": {"get": op("the ranked results table (rank_source: published or computed)", "results", json!([id]))},
            "/api/v1/editions/{id}/gap": {"get": op("gap analysis of one subject: points lost, change, points to the target rank", "results", json!([
                id,
                {"name": "subject", "in": "query", "required": true, "schema": {"type": "string"}, "description": "subject slug, e.g. bac-giang"},
                query_param("target_rank", "overall target rank (default: the stored target)", "integer")
            ]))},
            "/api/v1/units": {"get": op("units of the province", "units", json!([query_param("q", "search, insensitive to diacritics and case", "string")]))},
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
                query_param("limit", "at most 1000", "integer"), query_param("offset", "rows to skip", "integer")
            ]))},
            "/api/v1/users": {"get": op("users (administrators)", "users", json!([query_param("q", "search", "string")]))}
        }
    })
}
