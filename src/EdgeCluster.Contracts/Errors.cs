namespace EdgeCluster.Contracts;

/// <summary>Every refusal: what is wrong and, where it can say, which field (and which item of a batch).</summary>
public sealed record ApiError(string Error, string? Field = null, int? Index = null);

/// <summary>503 of a strong operation: how many members confirmed it, how many were needed, of how many members.</summary>
public sealed record NoMajorityError(string Error, int Acknowledged, int Required, int Members);
