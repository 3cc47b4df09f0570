using System.Globalization;
using Disputes.Records.Domain;
using Disputes.V1;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>The dispute's state as a Redis hash, field by field (an allowlist: nothing else is stored).</summary>
public static class DisputeRecordHash
{
    public static HashEntry[] Write(DisputeRecord record) =>
    [
        new("version", record.ChallengeVersion),
        new("stage", (int)record.Stage),
        new("tier", record.ManagementTier),
        new("highest_stage", (int)record.HighestStage),
        new("state", (int)record.State),
        new("raising", record.RaisingAgencyId),
        new("receiving", record.ReceivingAgencyId),
        new("local_authority", record.LocalAuthorityId),
        new("iro", record.IroProfessionalId),
        new("category", (int)record.Category),
        new("chair", record.ChairProfessionalId),
        new("chair_agency", record.ChairAgencyId),
        new("chair_role", record.ChairRole),
        new("raised", Time(record.RaisedTime)),
        new("closed", Time(record.ClosedTime)),
        new("missed", record.TimescalesMissed),
    ];

    public static DisputeRecord? Read(HashEntry[] entries)
    {
        if (entries.Length == 0)
            return null;
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        RedisValue Field(string name) => fields.GetValueOrDefault(name, RedisValue.EmptyString);
        long Number(string name) => long.TryParse(Field(name).ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new DisputeRecord
        {
            ChallengeVersion = Number("version"),
            Stage = (Stage)Number("stage"),
            ManagementTier = (int)Number("tier"),
            HighestStage = (Stage)Number("highest_stage"),
            State = (ChallengeState)Number("state"),
            RaisingAgencyId = Field("raising").ToString(),
            ReceivingAgencyId = Field("receiving").ToString(),
            LocalAuthorityId = Field("local_authority").ToString(),
            IroProfessionalId = Field("iro").ToString(),
            Category = (Category)Number("category"),
            ChairProfessionalId = Field("chair").ToString(),
            ChairAgencyId = Field("chair_agency").ToString(),
            ChairRole = Field("chair_role").ToString(),
            RaisedTime = ParseTime(Field("raised").ToString()),
            ClosedTime = ParseTime(Field("closed").ToString()),
            TimescalesMissed = (int)Number("missed"),
        };
    }

    private static string Time(DateTimeOffset? time) =>
        time?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? "";

    private static DateTimeOffset? ParseTime(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var millis) ? DateTimeOffset.FromUnixTimeMilliseconds(millis) : null;
}
