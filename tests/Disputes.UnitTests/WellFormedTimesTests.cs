using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.UnitTests;

public class WellFormedTimesTests
{
    [Fact]
    public void A_time_outside_the_protobuf_range_is_invalid_argument_naming_the_field()
    {
        var request = new GetEscalationReportRequest
        {
            StartTime = new Timestamp { Seconds = long.MaxValue },
            EndTime = new Timestamp { Seconds = 0, Nanos = -5 },
        };

        var refused = Assert.Throws<RpcException>(() => WellFormedTimes.Check(request));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        var fields = refused.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field);
        Assert.Equal(["start_time", "end_time"], fields);
    }

    [Fact]
    public void Nested_and_repeated_times_are_checked_with_their_paths()
    {
        var request = new RecordDiscussionRequest
        {
            Discussion = new Discussion { HeldTime = new Timestamp { Seconds = -70_000_000_000 } },
        };

        var refused = Assert.Throws<RpcException>(() => WellFormedTimes.Check(request));

        Assert.Equal("discussion.held_time", Assert.Single(refused.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public void Well_formed_times_pass() =>
        WellFormedTimes.Check(new GetEscalationReportRequest
        {
            StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            EndTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero)),
        });
}
