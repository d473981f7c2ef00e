using System.Text.Json;

namespace EdgeCluster.Contracts;

/// <summary>One of a key's concurrent values, with the vector clock that makes it concurrent.</summary>
public sealed record SiblingView(JsonElement Value, IReadOnlyDictionary<string, long> VectorClock, string Writer, string WrittenAt);

/// <summary>
/// GET and PUT /api/kv/{key}: the value when there is one (or the last writer's with <c>?resolve=lww</c>) and every
/// sibling. An eventual operation says <c>acknowledged: 1</c> (this member); a strong one says the majority it
/// <c>required</c> of all <c>members</c>, which DistributedData confirmed without counting.
/// </summary>
public sealed record KeyValueAnswer(string Key, JsonElement? Value, bool Conflict, string? Resolved, IReadOnlyList<SiblingView> Siblings,
    int? Acknowledged, int? Required, int? Members);

/// <summary>503 of a strong key-value operation: how many members it needed, of how many, and how many this member reaches.</summary>
public sealed record KeyValueNoMajority(string Error, int Required, int Members, int Reachable);

/// <summary>One member's own read of a key in GET /api/kv/{key}?members=all: its status and answer, or why it gave none.</summary>
public sealed record MemberKeyValue(string Member, string Address, bool Self, bool Reachable, int Status, JsonElement? Answer, string? Error);

/// <summary>GET /api/kv/{key}?members=all: the key as each member holds it now.</summary>
public sealed record KeyValueEverywhere(string Key, IReadOnlyList<MemberKeyValue> Members);
