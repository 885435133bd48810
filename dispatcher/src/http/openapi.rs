//! `GET /api/openapi.json`: a hand-written OpenAPI 3 description of the
//! service, so that integrators need no access to the source.

use axum::Json;

fn error_response(description: &str) -> serde_json::Value {
    serde_json::json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

pub fn spec() -> serde_json::Value {
    let json_ok = |description: &str| serde_json::json!({"description": description, "content": {"application/json": {"schema": {"type": "object"}}}});
    let id_param = |name: &str| serde_json::json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "cobro", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Outbound collection campaign dispatcher: operations API, provider webhooks, unsubscribe."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "Health": {"type": "object", "required": ["status", "store", "queue"], "properties": {
                    "status": {"type": "string", "enum": ["ok", "unavailable"]},
                    "store": {"type": "string", "description": "ok, or the store's error"},
                    "queue": {"type": "string", "description": "ok, unused (this process runs no workers and was given no --queue), or the queue's error"}}},
                "Progress": {"type": "object", "properties": {
                    "campaign": {"type": "string"}, "total": {"type": "integer"}, "open": {"type": "integer"},
                    "paused": {"type": "boolean"}, "states": {"type": "object", "additionalProperties": {"type": "integer"}}}},
                "Suppression": {"type": "object", "required": ["address"], "properties": {
                    "address": {"type": "string", "description": "E.164 number or email; with prefix, a number range or @domain"},
                    "channel": {"type": "string", "enum": ["email", "sms", "voice", "all"], "nullable": true},
                    "prefix": {"type": "boolean"}, "source": {"type": "string"}}},
                "Event": {"type": "object", "required": ["kind"], "properties": {
                    "kind": {"type": "string", "enum": ["payment", "promise_to_pay", "dispute", "opt_out", "conversation"]},
                    "channel": {"type": "string", "enum": ["email", "sms", "voice"], "nullable": true}}}
            }
        },
        "paths": {
            "/api/campaigns": {
                "get": {"summary": "Campaigns with progress", "security": [{"bearer": []}], "responses": {"200": json_ok("campaigns"), "401": error_response("bad token")}},
                "post": {"summary": "Launch a campaign from a campaign.toml on the server (idempotent)", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["campaign_file"], "properties": {"campaign_file": {"type": "string"}}}}}},
                    "responses": {"201": json_ok("launched"), "400": error_response("malformed body"), "401": error_response("bad token"), "422": error_response("invalid campaign")}}
            },
            "/api/campaigns/{id}": {"get": {"summary": "Progress of a campaign", "security": [{"bearer": []}], "parameters": [id_param("id")],
                "responses": {"200": {"description": "progress", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Progress"}}}}, "404": error_response("unknown campaign")}}},
            "/api/campaigns/{id}/{action}": {"post": {"summary": "pause, resume or cancel a campaign", "security": [{"bearer": []}],
                "parameters": [id_param("id"), {"name": "action", "in": "path", "required": true, "schema": {"type": "string", "enum": ["pause", "resume", "cancel"]}}],
                "responses": {"200": json_ok("done"), "404": error_response("unknown campaign or action")}}},
            "/api/accounts/{id}/history": {"get": {"summary": "Ledger rows (gestiones) of an account", "security": [{"bearer": []}], "parameters": [id_param("id")],
                "responses": {"200": json_ok("history"), "404": error_response("unknown account")}}},
            "/api/accounts/{id}/events": {"post": {"summary": "Record a payment, promise, dispute, opt-out or conversation", "security": [{"bearer": []}], "parameters": [id_param("id")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                "responses": {"200": json_ok("applied; lists the cancelled contacts"), "400": error_response("malformed body"), "404": error_response("unknown account"), "422": error_response("unknown kind or channel")}}},
            "/api/suppressions": {
                "get": {"summary": "List suppression entries", "security": [{"bearer": []}], "responses": {"200": json_ok("entries")}},
                "post": {"summary": "Add a suppression entry", "security": [{"bearer": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Suppression"}}}},
                    "responses": {"201": json_ok("added"), "400": error_response("malformed body"), "422": error_response("invalid address or channel")}},
                "delete": {"summary": "Remove a suppression entry", "security": [{"bearer": []}],
                    "parameters": [{"name": "address", "in": "query", "required": true, "schema": {"type": "string"}},
                                   {"name": "channel", "in": "query", "required": false, "schema": {"type": "string"}}],
                    "responses": {"200": json_ok("removed"), "404": error_response("no such entry")}}
            },
            "/webhooks/{provider}/status": {"post": {"summary": "Delivery receipts (twilio: X-Twilio-Signature; vonage, infobip: X-Cobro-Webhook-Secret header or ?secret=)",
                "parameters": [{"name": "provider", "in": "path", "required": true, "schema": {"type": "string", "enum": ["twilio", "vonage", "infobip"]}}],
                "responses": {"200": json_ok("per message: recorded, unchanged (replay), ignored (interim) or unknown_id"), "400": error_response("malformed payload"), "403": error_response("bad signature")}}},
            "/webhooks/{provider}/inbound": {"post": {"summary": "Inbound replies: STOP/BAJA/ALTO/CANCELAR/NO MOLESTAR/UNSUBSCRIBE opt out, STOPALL of every channel, START/ALTA/UNSTOP opt back in",
                "parameters": [{"name": "provider", "in": "path", "required": true, "schema": {"type": "string", "enum": ["twilio", "vonage", "infobip"]}}],
                "responses": {"200": {"description": "handled (Twilio gets TwiML <Response/>)"}, "403": error_response("bad signature")}}},
            "/u/{token}": {
                "get": {"summary": "Unsubscribe confirmation page", "parameters": [id_param("token")], "responses": {"200": {"description": "HTML"}, "404": {"description": "invalid token"}}},
                "post": {"summary": "RFC 8058 one-click unsubscribe (List-Unsubscribe=One-Click)", "parameters": [id_param("token")], "responses": {"200": {"description": "HTML"}, "404": {"description": "invalid token"}}}
            },
            "/metrics": {"get": {"summary": "Prometheus metrics: contacts by state, ledger decisions by code (snapshot), provider latency histogram and errors by class, decisions by rule and code, apalis queue jobs by state, webhook calls",
                "responses": {"200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}, "503": error_response("store unavailable")}}},
            "/healthz": {"get": {"summary": "Health: store and queue reachable",
                "responses": {"200": {"description": "both answered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                              "503": {"description": "the store or the queue did not answer within 3 s; its field holds the error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
            "/": {"get": {"summary": "Dashboard (HTML)", "responses": {"200": {"description": "HTML"}}}}
        }
    })
}

pub async fn document() -> Json<serde_json::Value> {
    Json(spec())
}
