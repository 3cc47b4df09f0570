using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Disputes.Escalation.Directory;

/// <summary>
/// A partnership directory as a YAML file: agencies, each with its professionals. Line managers
/// are named by professional id within the agency, or by full name across agencies.
/// </summary>
public sealed class DirectoryFile
{
    public List<AgencyEntry> Agencies { get; set; } = [];

    public sealed class AgencyEntry
    {
        public string Id { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public AgencyKind Kind { get; set; }
        public List<ProfessionalEntry> Professionals { get; set; } = [];
    }

    public sealed class ProfessionalEntry
    {
        public string Id { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public string Email { get; set; } = "";
        public List<string> Roles { get; set; } = [];
        public string LineManager { get; set; } = "";
        public int ManagementTier { get; set; }
        public DateTimeOffset? UnavailableUntil { get; set; }
    }

    public static DirectoryFile Parse(string yaml) =>
        new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .WithTypeConverter(new AgencyKindConverter())
            .Build()
            .Deserialize<DirectoryFile>(yaml) ?? new DirectoryFile();

    public static Agency AgencyOf(AgencyEntry entry) => new() { DisplayName = entry.DisplayName, Kind = entry.Kind };

    public static Professional ProfessionalOf(string agencyId, ProfessionalEntry entry)
    {
        var professional = new Professional
        {
            DisplayName = entry.DisplayName,
            Email = entry.Email,
            LineManager = entry.LineManager.Length == 0 || entry.LineManager.Contains('/')
                ? entry.LineManager
                : Domain.DirectoryNames.Professional(agencyId, entry.LineManager),
            ManagementTier = entry.ManagementTier,
            UnavailableUntil = entry.UnavailableUntil is { } until ? Timestamp.FromDateTimeOffset(until) : null,
        };
        professional.Roles.Add(entry.Roles);
        return professional;
    }

    /// <summary>Kinds as the file writes them: "police", "childrens_social_care", ...</summary>
    private sealed class AgencyKindConverter : IYamlTypeConverter
    {
        public bool Accepts(System.Type type) => type == typeof(AgencyKind);

        public object? ReadYaml(IParser parser, System.Type type, ObjectDeserializer rootDeserializer)
        {
            var scalar = parser.Consume<Scalar>();
            var wanted = scalar.Value.Replace("_", "").Replace("-", "");
            return System.Enum.GetValues<AgencyKind>().FirstOrDefault(k => k.ToString().Equals(wanted, StringComparison.OrdinalIgnoreCase));
        }

        public void WriteYaml(IEmitter emitter, object? value, System.Type type, ObjectSerializer serializer) =>
            throw new NotSupportedException();
    }
}
