using System.CommandLine;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;

namespace Disputes.Tools;

/// <summary><c>token</c>: mints a development token for a professional of an agency with roles.</summary>
public static class TokenCommand
{
    public const string DefaultKeyFile = ".run/dev-signing-key";

    public static Command Create()
    {
        var professional = new Option<string>("--professional") { Description = "The professional's id (the token subject).", Required = true };
        var agency = new Option<string>("--agency") { Description = "The agency the professional acts for.", Required = true };
        var roles = new Option<string[]>("--role") { Description = $"A role; repeat for several ({string.Join(", ", DisputeRoles.All)}).", AllowMultipleArgumentsPerToken = true };
        var keyFile = new Option<FileInfo>("--key-file") { Description = "The development signing key (base64), as the run command writes it.", DefaultValueFactory = _ => new FileInfo(DefaultKeyFile) };
        var lifetime = new Option<TimeSpan>("--lifetime") { Description = "How long the token is valid.", DefaultValueFactory = _ => TimeSpan.FromHours(8) };

        var command = new Command("token", "Mint a development bearer token.") { professional, agency, roles, keyFile, lifetime };
        command.SetAction(parse =>
        {
            var key = parse.GetValue(keyFile)!;
            if (!key.Exists)
            {
                Console.Error.WriteLine($"No signing key at {key.FullName}: start the suite first (scripts/run.sh) or pass --key-file.");
                return 2;
            }
            var requestedRoles = parse.GetValue(roles) ?? [];
            var unknown = requestedRoles.Except(DisputeRoles.All).ToArray();
            if (unknown.Length > 0)
            {
                Console.Error.WriteLine($"Unknown role(s): {string.Join(", ", unknown)}. Roles: {string.Join(", ", DisputeRoles.All)}.");
                return 2;
            }
            var auth = new AuthOptions { SigningKey = File.ReadAllText(key.FullName).Trim() };
            Console.WriteLine(DevelopmentTokens.Mint(auth, parse.GetValue(professional)!, parse.GetValue(agency)!,
                requestedRoles.Length > 0 ? requestedRoles : [DisputeRoles.Practitioner], parse.GetValue(lifetime), DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }
}
