namespace EdgeCluster.Contracts;

/// <summary>A registry entry, as POST /api/devices answers it.</summary>
public sealed record DeviceView(int DeviceId, string Name, string Type, string? Location, string RegisteredAt);

/// <summary>GET /api/devices/{device_id}: the entry and its latest reading.</summary>
public sealed record DeviceDetail(int DeviceId, string Name, string Type, string? Location, string RegisteredAt, ReadingView? Latest);

/// <summary>GET /api/devices.</summary>
public sealed record DeviceList(int Count, IReadOnlyList<DeviceView> Devices);
