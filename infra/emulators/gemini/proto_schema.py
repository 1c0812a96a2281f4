"""The proto messages and enums the emulated endpoints parse, as proto3 JSON field specs.

A spec is a scalar kind (S, B, I32, ...), ("msg", name), ("enum", name), ("list", spec) or ("map", spec).
"""

from __future__ import annotations

from typing import Any

PKG = "google.ai.generativelanguage.v1beta"

S, B, I32, I64, F, BY, ST, V = "string", "bool", "int32", "int64", "float", "bytes", "struct", "value"


def _list(spec: Any) -> tuple:
    return ("list", spec)


def _msg(name: str) -> tuple:
    return ("msg", name)


def _enum(name: str) -> tuple:
    return ("enum", name)


ENUMS: dict[str, list[str]] = {
    "Type": ["TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"],
    "FunctionCallingConfig.Mode": ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"],
    "HarmCategory": [
        "HARM_CATEGORY_UNSPECIFIED",
        "HARM_CATEGORY_DEROGATORY",
        "HARM_CATEGORY_TOXICITY",
        "HARM_CATEGORY_VIOLENCE",
        "HARM_CATEGORY_SEXUAL",
        "HARM_CATEGORY_MEDICAL",
        "HARM_CATEGORY_DANGEROUS",
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY",
    ],
    "SafetySetting.HarmBlockThreshold": [
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH",
        "BLOCK_NONE",
        "OFF",
    ],
    "GenerationConfig.Modality": ["MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"],
    "GenerationConfig.MediaResolution": [
        "MEDIA_RESOLUTION_UNSPECIFIED",
        "MEDIA_RESOLUTION_LOW",
        "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH",
    ],
    "ThinkingConfig.ThinkingLevel": ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"],
    "FunctionDeclaration.Behavior": ["UNSPECIFIED", "BLOCKING", "NON_BLOCKING"],
    "FunctionResponse.Scheduling": ["SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT"],
    "ExecutableCode.Language": ["LANGUAGE_UNSPECIFIED", "PYTHON"],
    "CodeExecutionResult.Outcome": [
        "OUTCOME_UNSPECIFIED",
        "OUTCOME_OK",
        "OUTCOME_FAILED",
        "OUTCOME_DEADLINE_EXCEEDED",
    ],
}
# Schema types are commonly sent lower-case ("object") and accepted; other enums are matched exactly.
CASE_INSENSITIVE_ENUMS = {"Type"}

PART_DATA = [
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
]

MESSAGES: dict[str, dict[str, Any]] = {
    "GenerateContentRequest": {
        "model": S,
        "contents": _list(_msg("Content")),
        "systemInstruction": _msg("Content"),
        "tools": _list(_msg("Tool")),
        "toolConfig": _msg("ToolConfig"),
        "safetySettings": _list(_msg("SafetySetting")),
        "generationConfig": _msg("GenerationConfig"),
        "cachedContent": S,
    },
    "Content": {"role": S, "parts": _list(_msg("Part"))},
    "Part": {
        "text": S,
        "inlineData": _msg("Blob"),
        "fileData": _msg("FileData"),
        "functionCall": _msg("FunctionCall"),
        "functionResponse": _msg("FunctionResponse"),
        "executableCode": _msg("ExecutableCode"),
        "codeExecutionResult": _msg("CodeExecutionResult"),
        "toolCall": ST,
        "toolResponse": ST,
        "thought": B,
        "thoughtSignature": BY,
        "videoMetadata": _msg("VideoMetadata"),
        "partMetadata": ST,
        "mediaResolution": V,
    },
    "Blob": {"mimeType": S, "data": BY},
    "FileData": {"mimeType": S, "fileUri": S},
    "FunctionCall": {"id": S, "name": S, "args": ST},
    "FunctionResponse": {
        "id": S,
        "name": S,
        "response": ST,
        "willContinue": B,
        "scheduling": _enum("FunctionResponse.Scheduling"),
        "parts": _list(ST),
    },
    "VideoMetadata": {"startOffset": S, "endOffset": S, "fps": F},
    "ExecutableCode": {"language": _enum("ExecutableCode.Language"), "code": S},
    "CodeExecutionResult": {"outcome": _enum("CodeExecutionResult.Outcome"), "output": S},
    "Tool": {
        "functionDeclarations": _list(_msg("FunctionDeclaration")),
        "googleSearchRetrieval": ST,
        "codeExecution": ST,
        "googleSearch": ST,
        "urlContext": ST,
        "computerUse": ST,
        "fileSearch": ST,
        "googleMaps": ST,
    },
    "FunctionDeclaration": {
        "name": S,
        "description": S,
        "parameters": _msg("Schema"),
        "parametersJsonSchema": V,
        "response": _msg("Schema"),
        "responseJsonSchema": V,
        "behavior": _enum("FunctionDeclaration.Behavior"),
    },
    "Schema": {
        "type": _enum("Type"),
        "format": S,
        "title": S,
        "description": S,
        "nullable": B,
        "enum": _list(S),
        "maxItems": I64,
        "minItems": I64,
        "properties": ("map", _msg("Schema")),
        "required": _list(S),
        "minProperties": I64,
        "maxProperties": I64,
        "minLength": I64,
        "maxLength": I64,
        "pattern": S,
        "example": V,
        "anyOf": _list(_msg("Schema")),
        "propertyOrdering": _list(S),
        "default": V,
        "items": _msg("Schema"),
        "minimum": F,
        "maximum": F,
    },
    "ToolConfig": {"functionCallingConfig": _msg("FunctionCallingConfig"), "retrievalConfig": ST},
    "FunctionCallingConfig": {"mode": _enum("FunctionCallingConfig.Mode"), "allowedFunctionNames": _list(S)},
    "SafetySetting": {
        "category": _enum("HarmCategory"),
        "threshold": _enum("SafetySetting.HarmBlockThreshold"),
    },
    "GenerationConfig": {
        "stopSequences": _list(S),
        "responseMimeType": S,
        "responseSchema": _msg("Schema"),
        "responseJsonSchema": V,
        "responseModalities": _list(_enum("GenerationConfig.Modality")),
        "candidateCount": I32,
        "maxOutputTokens": I32,
        "temperature": F,
        "topP": F,
        "topK": I32,
        "seed": I32,
        "presencePenalty": F,
        "frequencyPenalty": F,
        "responseLogprobs": B,
        "logprobs": I32,
        "enableEnhancedCivicAnswers": B,
        "speechConfig": ST,
        "thinkingConfig": _msg("ThinkingConfig"),
        "imageConfig": ST,
        "mediaResolution": _enum("GenerationConfig.MediaResolution"),
    },
    "ThinkingConfig": {
        "includeThoughts": B,
        "thinkingBudget": I32,
        "thinkingLevel": _enum("ThinkingConfig.ThinkingLevel"),
    },
    "BatchGenerateContentRequest": {"batch": _msg("GenerateContentBatch")},
    # Output-only fields are accepted (and ignored) like any proto field.
    "GenerateContentBatch": {
        "model": S,
        "name": S,
        "displayName": S,
        "inputConfig": _msg("InputConfig"),
        "priority": I64,
        "output": V,
        "createTime": V,
        "endTime": V,
        "updateTime": V,
        "batchStats": V,
        "state": V,
    },
    "InputConfig": {"fileName": S, "requests": _msg("InlinedRequests")},
    "InlinedRequests": {"requests": _list(_msg("InlinedRequest"))},
    "InlinedRequest": {"request": _msg("GenerateContentRequest"), "metadata": ST},
    "BatchInputLine": {"key": S, "request": _msg("GenerateContentRequest")},
    "CreateFileRequest": {"file": _msg("File")},
    "File": {
        "name": S,
        "displayName": S,
        "mimeType": S,
        "sizeBytes": I64,
        "createTime": V,
        "updateTime": V,
        "expirationTime": V,
        "sha256Hash": V,
        "uri": V,
        "downloadUri": V,
        "state": V,
        "source": V,
        "error": V,
        "videoMetadata": V,
    },
}
ONEOFS = {"Part": ("data", PART_DATA), "InputConfig": ("source", ["fileName", "requests"])}
