using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>Routing reads the whole directory again only after it changed, whichever replica changed it.</summary>
[Collection(RedisCollection.Name)]
public sealed class DirectoryStoreTests(RedisServerFixture redis) : IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static Professional Practitioner(string agencyId, string id, string displayName) => new()
    {
        Name = DirectoryNames.Professional(agencyId, id),
        DisplayName = displayName,
        Roles = { DirectoryRoles.Practitioner },
    };

    [Fact]
    public async Task A_snapshot_is_read_again_after_a_write_by_any_replica_and_served_from_memory_until_then()
    {
        var replica = new DirectoryStore(redis.Redis);
        var other = new DirectoryStore(redis.Redis);
        Assert.True(await replica.CreateAgencyAsync("police", new Agency { Name = DirectoryNames.Agency("police") }));
        Assert.True(await replica.CreateProfessionalAsync("police", "pc-1", Practitioner("police", "pc-1", "First")));
        var first = await replica.SnapshotAsync();
        Assert.NotNull(first.Find("police", "pc-1"));

        // Unchanged: the same snapshot, without reading the entries again (a key rewritten behind the
        // store's back, which nothing in the suite does, is not seen).
        await redis.Redis.GetDatabase().StringSetAsync("escalation:{directory}:professionals:police/pc-1",
            Practitioner("police", "pc-1", "Rewritten").ToByteArray());
        Assert.Same(first, await replica.SnapshotAsync());

        // Another replica writes: the next snapshot has it, and everything else as stored now.
        Assert.True(await other.CreateProfessionalAsync("police", "pc-2", Practitioner("police", "pc-2", "Second")));
        var second = await replica.SnapshotAsync();
        Assert.NotSame(first, second);
        Assert.Equal("Second", second.Find("police", "pc-2")!.DisplayName);
        Assert.Equal("Rewritten", second.Find("police", "pc-1")!.DisplayName);

        // A replacement is a write too.
        var (_, stored) = (await other.GetProfessionalAsync("police", "pc-2"))!.Value;
        Assert.True(await other.ReplaceProfessionalAsync("police", "pc-2", stored, Practitioner("police", "pc-2", "Renamed")));
        Assert.Equal("Renamed", (await replica.SnapshotAsync()).Find("police", "pc-2")!.DisplayName);
    }
}
