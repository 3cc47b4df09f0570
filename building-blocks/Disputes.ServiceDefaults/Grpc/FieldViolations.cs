using Google.Rpc;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>Collects every problem with a request, so the caller learns them all at once.</summary>
public sealed class FieldViolations
{
    private readonly List<BadRequest.Types.FieldViolation> _violations = [];

    public IReadOnlyList<BadRequest.Types.FieldViolation> All => _violations;

    public FieldViolations Add(string field, string description)
    {
        _violations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });
        return this;
    }

    public FieldViolations Required(string field, string? value, int maxLength = 10_000)
    {
        if (string.IsNullOrWhiteSpace(value))
            Add(field, "is required");
        else if (value.Length > maxLength)
            Add(field, $"must be at most {maxLength} characters");
        return this;
    }

    public FieldViolations Optional(string field, string? value, int maxLength = 10_000)
    {
        if (value is not null && value.Length > maxLength)
            Add(field, $"must be at most {maxLength} characters");
        return this;
    }

    public void ThrowIfAny()
    {
        if (_violations.Count > 0)
            throw RpcErrors.InvalidArgument(_violations);
    }
}
