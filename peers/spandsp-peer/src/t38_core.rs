//! SpanDSP's T.38 core (`t38_core_state_t`): IFP packets in and out.
//!
//! Values are SpanDSP's integer codes (`T38_IND_*`, `T38_DATA_*`, `T38_FIELD_*`,
//! `T38_PACKET_CATEGORY_*`), which number the ASN.1 enumerations in order, root
//! values first: the same numbering as `fax_t38`'s `index()`.

use crate::SpanDspError;
use crate::ffi::t38_core as ffi;

/// SpanDSP's `T38_DATA_NONE`, passed to the data handler for packets without a
/// data type.
pub const DATA_NONE: i32 = -1;

/// SpanDSP's packet categories (`t38_packet_categories_e`), which select the
/// redundancy setting a packet is sent with. The harness sends every category once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `T38_PACKET_CATEGORY_INDICATOR`.
    Indicator = 0,
    /// `T38_PACKET_CATEGORY_CONTROL_DATA`.
    ControlData = 1,
    /// `T38_PACKET_CATEGORY_CONTROL_DATA_END`.
    ControlDataEnd = 2,
    /// `T38_PACKET_CATEGORY_IMAGE_DATA`.
    ImageData = 3,
    /// `T38_PACKET_CATEGORY_IMAGE_DATA_END`.
    ImageDataEnd = 4,
}

/// One callback from SpanDSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreEvent {
    /// The tx packet handler was asked to send an IFP packet `count` times.
    TxPacket {
        /// The IFP packet's encoding.
        bytes: Vec<u8>,
        /// SpanDSP's repeat count (the category's redundancy setting).
        count: i32,
    },
    /// The rx indicator handler.
    RxIndicator(i32),
    /// The rx data handler, once per field (and in some cases with no field).
    RxData {
        /// The data type code.
        data_type: i32,
        /// The field type code.
        field_type: i32,
        /// The field data.
        data: Vec<u8>,
    },
    /// The rx missing-packet handler.
    RxMissing {
        /// The sequence number received.
        rx_seq: i32,
        /// The sequence number expected.
        expected_seq: i32,
    },
}

/// The result of one call: SpanDSP's return value and the callbacks it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The SpanDSP function's return value.
    pub status: i32,
    /// The callbacks during the call, in order.
    pub events: Vec<CoreEvent>,
}

impl Outcome {
    /// The IFP packets SpanDSP sent.
    pub fn tx_packets(&self) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                CoreEvent::TxPacket { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A SpanDSP T.38 core. Each instance remembers state between calls (the last
/// indicator sent, the last sequence number received); tests that compare single
/// packets use a fresh instance per packet.
#[derive(Debug)]
pub struct T38Core {
    handle: ffi::CoreHandle,
}

impl T38Core {
    /// A T.38 core emulating T.38 `version`, sending every packet once.
    pub fn new(version: u8) -> Result<Self, SpanDspError> {
        let handle = ffi::CoreHandle::new(i32::from(version)).ok_or(SpanDspError::Init)?;
        Ok(Self { handle })
    }

    /// `t38_core_send_indicator`; its status is the delay to allow, in
    /// microseconds.
    pub fn send_indicator(&mut self, indicator: i32) -> Result<Outcome, SpanDspError> {
        let status = self.handle.send_indicator(indicator);
        self.finish("t38_core_send_indicator", status)
    }

    /// `t38_core_send_data` with one field.
    pub fn send_data(
        &mut self,
        data_type: i32,
        field_type: i32,
        data: &[u8],
        category: Category,
    ) -> Result<Outcome, SpanDspError> {
        let status = self.handle.send_data(data_type, field_type, data, category as i32);
        self.finish("t38_core_send_data", status)
    }

    /// `t38_core_send_data_multi_field`: `fields` are (field type, data) pairs.
    pub fn send_data_multi_field(
        &mut self,
        data_type: i32,
        fields: &[(i32, &[u8])],
        category: Category,
    ) -> Result<Outcome, SpanDspError> {
        if fields.len() > ffi::MAX_FIELDS {
            return Err(SpanDspError::Input("more fields than the shim passes"));
        }
        let status = self.handle.send_data_multi_field(data_type, fields, category as i32);
        self.finish("t38_core_send_data_multi_field", status)
    }

    /// `t38_core_rx_ifp_packet` with the next sequence number (the first is 0).
    pub fn rx_ifp_packet(&mut self, packet: &[u8]) -> Result<Outcome, SpanDspError> {
        let status = self.handle.rx_ifp(packet);
        self.finish("t38_core_rx_ifp_packet", status)
    }

    fn finish(&mut self, function: &'static str, status: i32) -> Result<Outcome, SpanDspError> {
        let raw = self.handle.take_events().map_err(|_| SpanDspError::EventOverflow)?;
        if status < 0 {
            return Err(SpanDspError::Call { function, status });
        }
        if raw.iter().any(|e| e.truncated) {
            return Err(SpanDspError::Input("a packet longer than the shim records"));
        }
        let events = raw
            .into_iter()
            .filter_map(|e| match e.kind {
                ffi::EVENT_TX_PACKET => Some(CoreEvent::TxPacket { bytes: e.data, count: e.a }),
                ffi::EVENT_RX_INDICATOR => Some(CoreEvent::RxIndicator(e.a)),
                ffi::EVENT_RX_DATA => {
                    Some(CoreEvent::RxData { data_type: e.a, field_type: e.b, data: e.data })
                }
                ffi::EVENT_RX_MISSING => Some(CoreEvent::RxMissing { rx_seq: e.a, expected_seq: e.b }),
                _ => None,
            })
            .collect();
        Ok(Outcome { status, events })
    }
}
