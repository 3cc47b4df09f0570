using Disputes.EventBus.Hosting;
using Disputes.Notification.Extensions;
using Disputes.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddDisputesService();
builder.AddNotificationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapEventBusEndpoints();
app.MapNotificationApi();

app.Run();
