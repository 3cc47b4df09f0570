namespace Disputes.Deploy.Tests.Infrastructure;

public static class TestData
{
    public static TheoryData<string> Overlays()
    {
        var data = new TheoryData<string>();
        foreach (var overlay in Repo.Overlays())
        {
            data.Add(overlay);
        }

        return data;
    }

    public static TheoryData<string, string> OverlaysAndProcesses()
    {
        var data = new TheoryData<string, string>();
        foreach (var overlay in Repo.Overlays())
        {
            foreach (var process in Processes.All)
            {
                data.Add(overlay, process.Name);
            }
        }

        return data;
    }

    public static TheoryData<string, string> OverlaysAndServices()
    {
        var data = new TheoryData<string, string>();
        foreach (var overlay in Repo.Overlays())
        {
            foreach (var process in Processes.Services)
            {
                data.Add(overlay, process.Name);
            }
        }

        return data;
    }
}
