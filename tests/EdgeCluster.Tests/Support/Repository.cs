namespace EdgeCluster.Tests.Support;

/// <summary>Files of this repository the tests read: the folder holding EdgeCluster.sln, found from the test's own folder.</summary>
public static class Repository
{
    public static readonly string Root = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "EdgeCluster.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (EdgeCluster.sln) was not found above " + AppContext.BaseDirectory);
    }
}
