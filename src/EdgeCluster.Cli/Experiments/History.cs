using System.Text.Json.Serialization;

namespace EdgeCluster.Cli.Experiments;

/// <summary>How an operation ended, as Jepsen records it: ok, a definite failure, or indeterminate (it may have happened).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Outcome>))]
public enum Outcome { Ok, Fail, Info }

/// <summary>The operations the experiment's clients run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OpKind>))]
public enum OpKind { EventualWrite, StrongWrite, StrongRead }

/// <summary>
/// One operation of the history: who ran it where, when it was invoked and completed, and how it ended;
/// <see cref="Resent"/>: how many times an eventual reading was sent again (same seq) after an answer that left it open.
/// </summary>
public sealed record Op(int Client, string Member, OpKind Kind, int Device, long Seq, double InvokedAt, double CompletedAt,
    Outcome Outcome, int Status, string? Error, int? ReadCount = null, int Resent = 0)
{
    public bool IsWrite => Kind != OpKind.StrongRead;
}

/// <summary>A member under test: its node name and its HTTP address.</summary>
public sealed record Target(string Name, string Http);

/// <summary>A span of the run during which <see cref="Minority"/> was cut off from the rest.</summary>
public sealed record Window(double From, double To, IReadOnlyList<string> Minority, NemesisKind Nemesis);

/// <summary>A member at the end of the run: its membership status and how many actor systems it has run (2+ = downed and rejoined).</summary>
public sealed record FinalMember(string Name, string? Member, int? Incarnation, string? Error);

/// <summary>What every member held at the end: (device, seq) of each reading it answered, and how many it answered twice.</summary>
public sealed record FinalReads(IReadOnlyDictionary<string, HashSet<(int Device, long Seq)>> ByMember, double? ConvergedAt,
    IReadOnlyDictionary<string, int>? Duplicates = null);
