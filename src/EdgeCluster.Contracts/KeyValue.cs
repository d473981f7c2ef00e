using System.Text.Json;

namespace EdgeCluster.Contracts;

/// <summary>One of a key's concurrent values, with the vector clock that makes it concurrent.</summary>
public sealed record SiblingView(JsonElement Value, IReadOnlyDictionary<string, long> VectorClock, string Writer, string WrittenAt);

/// <summary>
/// GET and PUT /api/kv/{key}: the value when there is one (or the last writer's with <c>?resolve=lww</c>), every sibling,
/// and for strong operations how many members confirmed it.
/// </summary>
public sealed record KeyValueAnswer(string Key, JsonElement? Value, bool Conflict, string? Resolved, IReadOnlyList<SiblingView> Siblings,
    int? Acknowledged, int? Members);

/// <summary>503 of a strong key-value operation.</summary>
public sealed record KeyValueNoMajority(string Error, int? Acknowledged, int Required, int Members, int Reachable);
