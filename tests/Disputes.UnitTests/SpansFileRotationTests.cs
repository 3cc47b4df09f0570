using System.Diagnostics;
using System.Text.Json;
using Disputes.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Disputes.UnitTests;

/// <summary>The local spans file rotates by size and keeps a bounded number of files, oldest first for readers.</summary>
public sealed class SpansFileRotationTests : IDisposable
{
    private static readonly ActivitySource Source = new("Disputes.UnitTests.SpansRotation");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-spans-rotation-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Writes spans named "span 0", "span 1", ... one batch each (a simple processor exports each span alone).</summary>
    private void WriteSpans(string file, SpansFileRotation rotation, int count, int first = 0)
    {
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(Source.Name)
            .AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(file, "svc", rotation)))
            .Build();
        for (var i = first; i < first + count; i++)
            Source.StartActivity($"span {i}")!.Dispose();
    }

    private static List<int> SpanNumbersIn(IEnumerable<string> files) =>
        files.SelectMany(File.ReadAllLines)
            .Select(line => int.Parse(JsonDocument.Parse(line).RootElement.GetProperty("name").GetString()!["span ".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    [Fact]
    public void Past_the_size_bound_the_file_is_rotated_and_only_the_newest_files_are_kept()
    {
        var file = Path.Combine(_directory, "svc-42.jsonl");
        var rotation = new SpansFileRotation(MaxFileBytes: 1024, FilesKept: 3);

        WriteSpans(file, rotation, 200);

        var files = JsonLinesSpanExporter.FilesInTimeOrderOf(file);
        Assert.True(files.Count <= 3, $"{files.Count} files kept: {string.Join(", ", files.Select(Path.GetFileName))}");
        Assert.Equal(files.Count, Directory.GetFiles(_directory).Length);
        // The rotated files are numbered in the order they were written; the newest sequence numbers are kept.
        Assert.Matches(@"^svc-42\.\d{6}\.jsonl$", Path.GetFileName(files[0]));
        var rotated = files.Where(f => f != file).ToList();
        Assert.All(rotated, f => Assert.InRange(new FileInfo(f).Length, 1024, 1024 + 512));
        // Read oldest first, the spans kept are the newest ones, contiguous and in the order they ended.
        var numbers = SpanNumbersIn(files);
        Assert.Equal(199, numbers[^1]);
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
        Assert.True(numbers.Count < 200, "nothing was dropped: the bound did not apply");
    }

    [Fact]
    public void Below_the_bound_nothing_is_rotated()
    {
        var file = Path.Combine(_directory, "svc-42.jsonl");

        WriteSpans(file, new SpansFileRotation(MaxFileBytes: 1024 * 1024, FilesKept: 3), 20);

        Assert.Equal([file], JsonLinesSpanExporter.FilesInTimeOrderOf(file));
        Assert.Equal(Enumerable.Range(0, 20), SpanNumbersIn([file]));
    }

    [Fact]
    public void A_process_with_the_same_file_name_continues_the_sequence_and_keeps_the_bound()
    {
        // As a container restarted with the same process id (1) finds its predecessor's files.
        var file = Path.Combine(_directory, "svc-1.jsonl");
        var rotation = new SpansFileRotation(MaxFileBytes: 1024, FilesKept: 4);
        WriteSpans(file, rotation, 30);
        var before = JsonLinesSpanExporter.FilesInTimeOrderOf(file).Where(f => f != file).Select(Path.GetFileName).ToList();

        WriteSpans(file, rotation, 30, first: 30);

        var files = JsonLinesSpanExporter.FilesInTimeOrderOf(file);
        Assert.True(files.Count <= 4);
        var rotated = files.Where(f => f != file).Select(Path.GetFileName).ToList();
        Assert.True(string.CompareOrdinal(rotated[^1], before[^1]) > 0, "the second process reused a sequence number");
        var numbers = SpanNumbersIn(files);
        Assert.Equal(59, numbers[^1]);
        Assert.Equal(Enumerable.Range(numbers[0], numbers.Count), numbers);
    }

    [Fact]
    public void A_batch_larger_than_the_bound_is_written_whole_never_split_across_files()
    {
        var file = Path.Combine(_directory, "svc-42.jsonl");
        using (var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(Source.Name)
            .AddProcessor(new BatchActivityExportProcessor(new JsonLinesSpanExporter(file, "svc", new SpansFileRotation(100, 2)), scheduledDelayMilliseconds: 60_000))
            .Build())
        {
            for (var i = 0; i < 10; i++)
                Source.StartActivity($"span {i}")!.Dispose();
            provider.ForceFlush();
        }

        var rotated = Assert.Single(JsonLinesSpanExporter.FilesInTimeOrderOf(file));
        Assert.Equal(JsonLinesSpanExporter.RotatedName(file, 1), rotated);
        Assert.Equal(Enumerable.Range(0, 10), SpanNumbersIn([rotated]));
    }

    [Fact]
    public void Keeping_one_file_keeps_only_the_one_being_written()
    {
        var file = Path.Combine(_directory, "svc-42.jsonl");

        WriteSpans(file, new SpansFileRotation(MaxFileBytes: 512, FilesKept: 1), 50);

        Assert.True(Directory.GetFiles(_directory).All(f => f == file));
    }

    [Fact]
    public void A_directory_lists_each_processs_rotated_files_oldest_first_then_the_file_being_written()
    {
        Directory.CreateDirectory(_directory);
        string[] names =
        [
            "records-7.jsonl", "challenge-9.000010.jsonl", "challenge-9.jsonl", "challenge-9.000002.jsonl",
            "Disputes.Records-3.jsonl", "records-7.000001.jsonl", "notes.txt",
        ];
        foreach (var name in names)
            File.WriteAllText(Path.Combine(_directory, name), "");

        var listed = JsonLinesSpanExporter.FilesInTimeOrder(_directory).Select(Path.GetFileName);

        Assert.Equal(
            ["Disputes.Records-3.jsonl", "challenge-9.000002.jsonl", "challenge-9.000010.jsonl", "challenge-9.jsonl", "records-7.000001.jsonl", "records-7.jsonl"],
            listed);
    }

    [Fact]
    public void Files_not_written_within_the_retention_are_deleted_those_of_exited_processes_too()
    {
        Directory.CreateDirectory(_directory);
        var now = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
        string File(string name, TimeSpan age)
        {
            var path = Path.Combine(_directory, name);
            System.IO.File.WriteAllText(path, "{}\n");
            System.IO.File.SetLastWriteTimeUtc(path, (now - age).UtcDateTime);
            return path;
        }
        var exited = File("challenge-111.jsonl", TimeSpan.FromDays(10));
        var exitedRotated = File("records-222.000001.jsonl", TimeSpan.FromDays(8));
        var recent = File("gateway-333.jsonl", TimeSpan.FromDays(6));
        var notSpans = File("notes.txt", TimeSpan.FromDays(30));

        Assert.Equal(0, JsonLinesSpanExporter.DeleteExpired(_directory, TimeSpan.Zero, now));
        Assert.Equal(2, JsonLinesSpanExporter.DeleteExpired(_directory, TimeSpan.FromDays(7), now));

        Assert.False(System.IO.File.Exists(exited));
        Assert.False(System.IO.File.Exists(exitedRotated));
        Assert.True(System.IO.File.Exists(recent));
        Assert.True(System.IO.File.Exists(notSpans));
        Assert.Equal(0, JsonLinesSpanExporter.DeleteExpired(Path.Combine(_directory, "missing"), TimeSpan.FromDays(7), now));
    }

    [Fact]
    public void The_settings_default_to_ten_MiB_and_five_files_and_refuse_what_is_not_a_positive_bound()
    {
        static SpansFileRotation From(params (string Key, string Value)[] settings) =>
            SpansFileRotation.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

        Assert.Equal(new SpansFileRotation(10 * 1024 * 1024, 5), From());
        Assert.Equal(new SpansFileRotation(4096, 2), From((SpansFileRotation.MaxFileBytesSetting, "4096"), (SpansFileRotation.FilesKeptSetting, "2")));
        Assert.Throws<InvalidOperationException>(() => From((SpansFileRotation.MaxFileBytesSetting, "0")));
        Assert.Throws<InvalidOperationException>(() => From((SpansFileRotation.MaxFileBytesSetting, "10MB")));
        Assert.Throws<InvalidOperationException>(() => From((SpansFileRotation.FilesKeptSetting, "0")));
        Assert.Equal(TimeSpan.FromDays(7), From().Retention);
        Assert.Equal(TimeSpan.Zero, From((SpansFileRotation.RetentionDaysSetting, "0")).Retention);
        Assert.Throws<InvalidOperationException>(() => From((SpansFileRotation.RetentionDaysSetting, "-1")));
    }

    [Fact]
    public async Task A_process_given_a_size_bound_rotates_its_spans_file()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration[OpenTelemetryExtensions.SpansDirectorySetting] = _directory;
        builder.Configuration[SpansFileRotation.MaxFileBytesSetting] = "200";
        builder.Configuration["OTEL_SERVICE_NAME"] = "rotation-setup";
        builder.ConfigureOpenTelemetry();
        await using var app = builder.Build();
        var provider = app.Services.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource("Disputes.UnitTests.RotationSetup");
        for (var i = 0; i < 3; i++)
        {
            source.StartActivity($"span {i}")!.Dispose();
            provider.ForceFlush();
        }

        var current = JsonLinesSpanExporter.FileFor(_directory, "rotation-setup");
        Assert.Contains(JsonLinesSpanExporter.RotatedName(current, 1), Directory.GetFiles(_directory));
    }
}
