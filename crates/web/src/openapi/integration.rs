//! The integration API's part of the OpenAPI document (`api::plan`, `api::assessment`): the
//! plan and the assessment, with examples, and the paging every list shares.

use super::{path_param, query_param};
use serde_json::{json, Value};

/// `?page=` and `?per_page=` after `params`.
pub fn paged_params(mut params: Vec<Value>) -> Value {
    params.push(query_param(
        "page",
        "the page, from 1 (default 1)",
        "integer",
    ));
    params.push(query_param(
        "per_page",
        "rows per page, 1 to 500 (default 50)",
        "integer",
    ));
    Value::Array(params)
}

/// The envelope of every list.
pub fn page_schema() -> Value {
    json!({"type": "object", "description": "one page of a list", "properties": {
        "items": {"type": "array", "items": {}}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "total": {"type": "integer", "description": "rows in the whole list"}, "pages": {"type": "integer"}
    }, "required": ["items", "page", "per_page", "total", "pages"]})
}

fn responses(ok: &str, example: Value, extra: Value) -> Value {
    let mut r = json!({
        "200": {"description": ok, "content": {"application/json": {"example": example}}},
        "400": {"description": "a bad query (page 0, per_page over 500, a missing unit)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "429": {"$ref": "#/components/responses/Throttled"}
    });
    if let (Some(r), Some(extra)) = (r.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            r.insert(k.clone(), v.clone());
        }
    }
    r
}

fn write_refusals(created: &str, example: Value) -> Value {
    responses(
        created,
        example,
        json!({
            "403": {"description": "the role or unit may not do this, or a read token (kind read_only_token)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "413": {"description": "the body is too large", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "415": {"description": "the body is not application/json", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "422": {"description": "refused field by field (the web form's rules and the stage locks); nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"},
                "example": {"error": "done: Nêu kết quả đã thực hiện.", "field": "done", "problems": [{"field": "done", "message": "Nêu kết quả đã thực hiện."}]}}}}
        }),
    )
}

fn plan_paths() -> Value {
    let id = path_param("id", "plan id, e.g. bac-giang-2021");
    let unit = query_param(
        "unit",
        "unit slug (coordinator, leader; a unit's users always get their own unit)",
        "string",
    );
    json!({
        "/api/v1/plans/{id}/my-tasks": {"get": {
            "summary": "a unit's tasks in the plan: status, progress, the period to report on next and every period due so far (paged)",
            "tags": ["plan"], "parameters": paged_params(vec![id.clone(), unit.clone()]),
            "responses": responses("one page of assignments", json!({"items": [{"task": "II.1-monthly", "section": "II.1.b", "title": "Báo cáo CCHC hằng tháng", "lead_agency": "so-noi-vu", "unit": "so-tu-phap", "status": "overdue", "progress_pct": 40,
                "open_period": {"period": {"key": "2021-07", "due": "2021-07-31"}, "status": "overdue", "late": false, "missing": true}, "periods": []}],
                "page": 1, "per_page": 50, "total": 1, "pages": 1, "today": "2021-08-15"}), json!({}))
        }},
        "/api/v1/plans/{id}/tasks/{task}/reports": {"post": {
            "summary": "submit a monthly report (a new version for the period; the same report sent again answers the one stored)",
            "tags": ["plan"],
            "parameters": [id.clone(), path_param("task", "task id, e.g. II.1-monthly")],
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": false, "required": ["period", "done"], "properties": {
                    "unit": {"type": "string", "description": "the coordinator reporting for a unit; others report for their own"},
                    "period": {"type": "string", "description": "a period of the task (my-tasks' open_period.period.key)"},
                    "done": {"type": "string", "minLength": 1}, "problems": {"type": "string"}, "proposals": {"type": "string"},
                    "progress_pct": {"type": "integer", "minimum": 0, "maximum": 100},
                    "attachments": {"type": "array", "maxItems": 10, "items": {"type": "object", "additionalProperties": false, "required": ["file_name", "content_base64"], "properties": {
                        "file_name": {"type": "string"}, "content_base64": {"type": "string", "contentEncoding": "base64", "description": "at most 10 MB decoded"}}}}
                }},
                "example": {"period": "2021-07", "done": "Đã rà soát 12 thủ tục hành chính", "problems": "", "proposals": "Tập huấn cho cán bộ một cửa", "progress_pct": 60,
                    "attachments": [{"file_name": "bao-cao-thang-7.pdf", "content_base64": "JVBERi0xLjQK"}]}
            }}},
            "responses": write_refusals("-", json!({})).as_object().map(|o| {
                let mut o = o.clone();
                o.remove("200");
                o.insert("201".into(), json!({"description": "the version stored, with its attachments", "content": {"application/json": {"example": {
                    "report": {"id": 7, "task_id": "II.1-monthly", "unit": "so-tu-phap", "period": "2021-07", "version": 1, "done": "Đã rà soát 12 thủ tục hành chính", "progress_pct": 60, "submitted_on": "2021-08-15", "submitted_by": "sotuphap (token mot-cua)", "decision": null},
                    "attachments": [{"id": 3, "report_id": 7, "file_name": "bao-cao-thang-7.pdf", "content_type": "application/pdf", "size_bytes": 9, "sha256": "…"}]}}}}));
                Value::Object(o)
            })
        }},
        "/api/v1/plans/{id}/reports": {"get": {
            "summary": "report versions with their review (decision, comment, reviewer, day), newest first (paged); a unit's users see their own unit's only",
            "tags": ["plan"],
            "parameters": paged_params(vec![id, unit, query_param("task", "task id", "string")]),
            "responses": responses("one page of reports", json!({"items": [{"id": 7, "task_id": "II.1-monthly", "unit": "so-tu-phap", "period": "2021-07", "version": 1, "done": "…", "progress_pct": 60,
                "submitted_by": "sotuphap (token mot-cua)", "decision": "returned", "review_comment": "Bổ sung số liệu", "reviewed_by": "sonoivu", "reviewed_on": "2021-08-16", "attachments": []}],
                "page": 1, "per_page": 50, "total": 1, "pages": 1}), json!({}))
        }}
    })
}

fn assessment_paths() -> Value {
    let round = path_param("round", "round id, e.g. so-nganh-2021");
    let unit = path_param("unit", "unit slug, e.g. so-tu-phap");
    let item_example = json!({"code": "1.1.1", "title_vi": "Ban hành kế hoạch CCHC năm", "max_points": "2", "evidence_required": true,
        "item": {"code": "1.1.1", "input": {"type": "points", "value": "2"}, "self_score": "2", "note": "", "explanation": "", "evidence": 1}, "evidence": []});
    json!({
        "/api/v1/assessments/{round}/units/{unit}/items": {
            "get": {"summary": "a unit's items in a round: the criterion, the item as stored (declared figure, self-score, appraisals), its evidence (paged)",
                "tags": ["assessment"], "parameters": paged_params(vec![round.clone(), unit.clone()]),
                "responses": responses("one page of items, with the round and the unit's progress", json!({"items": [item_example.clone()], "page": 1, "per_page": 50, "total": 38, "pages": 1, "unit": "so-tu-phap", "round": {}, "progress": {}}), json!({}))},
            "put": {"summary": "save self-scores, notes and explanations (all or nothing, within the round's stages and reopenings)",
                "tags": ["assessment"], "parameters": [round.clone(), unit.clone()],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"type": "object", "additionalProperties": false, "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["code"], "properties": {
                        "code": {"type": "string"}, "input": {"type": ["string", "null"], "description": "as typed in the unit page's cell (points, a %, yes/no, a choice's key); absent: kept; empty or null: cleared"},
                        "note": {"type": "string"}, "explanation": {"type": "string"}}}}}},
                    "example": {"items": [{"code": "1.1.1", "input": "2", "note": "Kế hoạch 125/KH-STP"}, {"code": "2.3", "input": "100"}]}}}},
                "responses": write_refusals("how many items changed, and the items as stored", json!({"saved": 2, "items": [item_example]}))}
        },
        "/api/v1/assessments/{round}/units/{unit}/items/{code}/evidence": {"post": {
            "summary": "add an official document as evidence of an item, or link evidence already stored (by id)",
            "tags": ["assessment"], "parameters": [round, unit, path_param("code", "item code, e.g. 1.1.1")],
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": false, "description": "exactly one of document and evidence", "properties": {
                    "document": {"type": "object", "required": ["number"], "properties": {"number": {"type": "string"}, "date": {"type": "string", "format": "date"}, "issuer": {"type": "string"}, "title": {"type": "string"}, "excerpt": {"type": "string"}}},
                    "evidence": {"type": "integer"}}},
                "example": {"document": {"number": "125/KH-STP", "date": "2021-02-01", "issuer": "Sở Tư pháp", "title": "Kế hoạch CCHC năm 2021"}}}}},
            "responses": write_refusals("-", json!({})).as_object().map(|o| {
                let mut o = o.clone();
                o.remove("200");
                o.insert("201".into(), json!({"description": "the evidence document", "content": {"application/json": {"example": {"id": 12, "kind": "document", "title": "Kế hoạch CCHC năm 2021", "doc_number": "125/KH-STP", "doc_date": "2021-02-01", "unit": "so-tu-phap"}}}}));
                Value::Object(o)
            })
        }},
        "/api/v1/rankings": {"get": {"summary": "the published provincial rankings of departments and districts (paged)", "tags": ["assessment"], "parameters": paged_params(vec![]),
            "responses": responses("one page of published rounds", json!({"items": [{"id": "so-nganh-2021", "name": "Xếp hạng sở, ngành 2021", "year": 2021, "level": "department", "units": 20, "published_on": "2022-02-20", "sample": false}], "page": 1, "per_page": 50, "total": 1, "pages": 1}), json!({}))}},
        "/api/v1/rankings/{round}": {"get": {"summary": "one published ranking: rows best first (total, index %, rank, class, change since last year, points lost per area), paged; its corrections", "tags": ["assessment"],
            "parameters": paged_params(vec![path_param("round", "round id")]),
            "responses": responses("one page of rows", json!({"items": [{"unit": "so-tu-phap", "total": "88.5", "max": "100", "pct": "88.50", "rank": 1, "change_rank": 2}], "page": 1, "per_page": 50, "total": 20, "pages": 1, "round": {}, "corrections": [], "previous": []}), json!({}))}}
    })
}

/// Add the integration paths to the document.
pub fn add_paths(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for part in [plan_paths(), assessment_paths()] {
        if let Some(p) = part.as_object() {
            for (k, v) in p {
                paths.insert(k.clone(), v.clone());
            }
        }
    }
}
