using System.Net;
using Disputes.Gateway.Extensions;

namespace Disputes.UnitTests;

public sealed class ClientAddressBucketTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void Addresses_of_one_host_share_a_bucket(string address, string bucket) =>
        Assert.Equal(bucket, ClientAddressRateLimiter.BucketOf(IPAddress.Parse(address)));
}
